#!/usr/bin/env bash
# One prepared run for a GPU machine (no Node needed): builds the core, the CUDA kernels, their tests and the timing
# program with plain cmake, runs retinaface_cuda_tests (GPU == CPU checks), then times the kernels at batch 1, 16
# and 64. Writes results.json, results.md and the logs to $1, else $OUT, else benchmarks/gpu/results.
# On a machine without a GPU it still builds, runs the host-only tests and times the CPU twin (a dry run).
#
# Environment: RETINAFACE_SHARED (the shared/ data folder; default ../shared or ./shared beside the repo),
# RETINAFACE_BENCH_BUILD (build folder, default /tmp/retinaface-gpu-build),
# RETINAFACE_BENCH_ARCHS (CMAKE_CUDA_ARCHITECTURES; default: the project's list, i.e. what ships),
# RETINAFACE_BENCH_RUNS (timed runs per measurement, default 200).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
OUT_DIR="${1:-${OUT:-$ROOT/benchmarks/gpu/results}}"
BUILD="${RETINAFACE_BENCH_BUILD:-/tmp/retinaface-gpu-build}"
RUNS="${RETINAFACE_BENCH_RUNS:-200}"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"

if [ -z "${RETINAFACE_SHARED:-}" ]; then
  for candidate in "$ROOT/../shared" "$ROOT/shared"; do
    if [ -d "$candidate/data/reference" ]; then export RETINAFACE_SHARED="$(cd "$candidate" && pwd)"; break; fi
  done
fi
echo "shared data: ${RETINAFACE_SHARED:-not found (reference cases will be skipped, timings use random outputs)}"
if command -v nvidia-smi >/dev/null 2>&1; then
  nvidia-smi --query-gpu=name,compute_cap,driver_version,clocks.sm,clocks.mem --format=csv,noheader || true
else
  echo "nvidia-smi not found: dry run (no GPU timings)"
fi

configure=(-S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRETINAFACE_GPU_BENCH=ON)
if command -v ninja >/dev/null 2>&1; then configure+=(-G Ninja); fi
if [ -n "${RETINAFACE_BENCH_ARCHS:-}" ]; then configure+=("-DCMAKE_CUDA_ARCHITECTURES=${RETINAFACE_BENCH_ARCHS}"); fi
build_start=$(date +%s)
if ! { cmake "${configure[@]}" && cmake --build "$BUILD" -j "$(nproc)"; } >"$OUT_DIR/build.log" 2>&1; then
  tail -40 "$OUT_DIR/build.log"
  echo "build failed (log: $OUT_DIR/build.log)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "build: $(( $(date +%s) - build_start )) s (log: $OUT_DIR/build.log)"
if [ ! -x "$BUILD/retinaface_cuda_tests" ]; then
  echo "CUDA was not enabled (no nvcc?): see $OUT_DIR/build.log"
  echo "0 passed, 1 failed"
  exit 1
fi

# Which machine code the kernels carry (cuobjdump where it can read CUDA 13 fatbins, else our own lister).
if command -v cuobjdump >/dev/null 2>&1 && cuobjdump --list-elf --list-ptx "$BUILD/retinaface_cuda_tests" \
    >"$OUT_DIR/fatbin.txt" 2>&1; then :; else
  python3 "$ROOT/benchmarks/gpu/list_fatbin.py" "$BUILD/retinaface_cuda_tests" >"$OUT_DIR/fatbin.txt" 2>&1 || true
fi

"$BUILD/retinaface_cuda_tests" 2>&1 | tee "$OUT_DIR/cuda_tests.log"
tests_status=${PIPESTATUS[0]}

"$BUILD/retinaface_gpu_bench" --out "$OUT_DIR" --runs "$RUNS" 2>&1 | tee "$OUT_DIR/bench.log"
bench_status=${PIPESTATUS[0]}

echo
cat "$OUT_DIR/results.md" 2>/dev/null
echo
tail -1 "$OUT_DIR/cuda_tests.log"
if [ "$bench_status" -ne 0 ]; then echo "timing program failed (status $bench_status)"; exit "$bench_status"; fi
exit "$tests_status"
