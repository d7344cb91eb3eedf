#!/usr/bin/env bash
# The prepared TensorRT run for a machine with TensorRT 10.x or 11.x, an NVIDIA GPU and no Node:
#   1. builds, with plain cmake, the TensorRT layer for the installed major version, the CUDA kernels and the
#      benchmark program (benchmarks/tensorrt/trt_bench.cc), plus the fake-engine and CUDA test binaries;
#   2. runs retinaface_trt_tests and retinaface_cuda_tests (now with a GPU);
#   3. runs the benchmark: builds the FP32 and FP16 engines (engine cache in $OUT/engines), compares the faces on
#      the shared photos with the CPU backend's (IoU >= 0.98 for FP32, >= 0.95 for FP16) and prints throughput;
#   4. runs it again to show the engines now come from the cache.
#
#   benchmarks/tensorrt/run.sh BUNDLE [OUT]
#
# BUNDLE: made by `npx tsx benchmarks/tensorrt/prepare.ts --out BUNDLE` on any machine with Node (copy it over).
# OUT: logs, results.json, engines (default benchmarks/tensorrt/results).
# Environment: TENSORRT_INCLUDE (folder with NvInferVersion.h; default: the Debian package's, or $TENSORRT_ROOT/include),
# TENSORRT_ROOT (a tar install: its lib/ is used for libnvinfer), RETINAFACE_BENCH_BUILD (default /tmp/retinaface-trt-build),
# RETINAFACE_BENCH_ARCHS (CMAKE_CUDA_ARCHITECTURES), RETINAFACE_TRT_BATCH (8), RETINAFACE_TRT_STREAMS (2),
# RETINAFACE_TRT_ITERATIONS (50).
set -uo pipefail
ROOT="$(cd "$(dirname "$0")/../.." && pwd)"
BUNDLE="${1:-}"
OUT_DIR="${2:-${OUT:-$ROOT/benchmarks/tensorrt/results}}"
BUILD="${RETINAFACE_BENCH_BUILD:-/tmp/retinaface-trt-build}"
if [ -z "$BUNDLE" ] || [ ! -f "$BUNDLE/bundle.txt" ]; then
  echo "usage: $0 BUNDLE [OUT]  (BUNDLE from: npx tsx benchmarks/tensorrt/prepare.ts --out BUNDLE)"
  echo "0 passed, 1 failed"
  exit 1
fi
BUNDLE="$(cd "$BUNDLE" && pwd)"
mkdir -p "$OUT_DIR"
OUT_DIR="$(cd "$OUT_DIR" && pwd)"

include="${TENSORRT_INCLUDE:-}"
if [ -z "$include" ]; then
  for candidate in "${TENSORRT_ROOT:-/nonexistent}/include" /usr/include/x86_64-linux-gnu /usr/include/aarch64-linux-gnu /usr/include; do
    if [ -f "$candidate/NvInferVersion.h" ]; then include="$candidate"; break; fi
  done
fi
if [ -z "$include" ]; then
  echo "TensorRT headers not found: set TENSORRT_INCLUDE (the folder with NvInferVersion.h) or TENSORRT_ROOT"
  echo "0 passed, 1 failed"
  exit 1
fi
major="$(sed -n 's/^#define \(TRT_MAJOR_ENTERPRISE\|NV_TENSORRT_MAJOR\) *\([0-9][0-9]*\).*/\2/p' "$include/NvInferVersion.h" | head -1)"
echo "TensorRT $major headers: $include"
if [ -n "${TENSORRT_ROOT:-}" ] && [ -d "$TENSORRT_ROOT/lib" ]; then export RETINAFACE_TENSORRT_LIB_DIR="$TENSORRT_ROOT/lib"; fi
command -v nvidia-smi >/dev/null 2>&1 && nvidia-smi --query-gpu=name,compute_cap,driver_version,memory.total --format=csv,noheader

configure=(-S "$ROOT" -B "$BUILD" -DCMAKE_BUILD_TYPE=Release -DRETINAFACE_TRT_BENCH=ON "-DRETINAFACE_TENSORRT_${major}_INCLUDE=$include")
if command -v ninja >/dev/null 2>&1; then configure+=(-G Ninja); fi
if [ -n "${RETINAFACE_BENCH_ARCHS:-}" ]; then configure+=("-DCMAKE_CUDA_ARCHITECTURES=${RETINAFACE_BENCH_ARCHS}"); fi
start=$(date +%s)
if ! { cmake "${configure[@]}" && cmake --build "$BUILD" -j "$(nproc)" --target "retinaface_trt${major}" retinaface_trt_bench \
       retinaface_trt_tests retinaface_cuda_tests; } >"$OUT_DIR/build.log" 2>&1; then
  tail -40 "$OUT_DIR/build.log"
  echo "build failed (log: $OUT_DIR/build.log)"
  echo "0 passed, 1 failed"
  exit 1
fi
echo "build: $(( $(date +%s) - start )) s"

"$BUILD/retinaface_trt_tests" >"$OUT_DIR/trt_tests.log" 2>&1; trt_tests=$?
"$BUILD/retinaface_cuda_tests" >"$OUT_DIR/cuda_tests.log" 2>&1; cuda_tests=$?
echo "fake-engine tests: $(tail -1 "$OUT_DIR/trt_tests.log"); CUDA tests: $(tail -1 "$OUT_DIR/cuda_tests.log")"

bench=("$BUILD/retinaface_trt_bench" --bundle "$BUNDLE" --layer-dir "$BUILD" --cache "$OUT_DIR/engines"
       --batch "${RETINAFACE_TRT_BATCH:-8}" --streams "${RETINAFACE_TRT_STREAMS:-2}" --iterations "${RETINAFACE_TRT_ITERATIONS:-50}")
"${bench[@]}" --precision both --json "$OUT_DIR/results.json" 2>&1 | tee "$OUT_DIR/bench.log"
bench_status=${PIPESTATUS[0]}
echo; echo "== again, engines from the cache"
"${bench[@]}" --precision both --iterations 10 2>&1 | tee "$OUT_DIR/bench-cached.log" | grep -E "engine|passed"

[ "$bench_status" -eq 0 ] && [ "$trt_tests" -eq 0 ] && [ "$cuda_tests" -eq 0 ]
exit $?
