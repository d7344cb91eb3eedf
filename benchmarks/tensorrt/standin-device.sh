#!/usr/bin/env bash
# On a machine with an NVIDIA GPU and driver but no TensorRT: detect() end to end through the TensorRT backend (the
# real addon, CUDA lanes, layer, engine cache and session) with the stand-in TensorRT of build/trt-standin/<N>,
# whose enqueueV3 writes the reference raw outputs of ../shared/data/reference/raw640/fr_two_people into the
# engine's output buffers (cuMemcpyHtoDAsync on the lane's stream). `retinaface verify` then compares the faces
# with the CPU backend's, for TensorRT 10 and 11, fp32 and fp16. The stand-in replays one photo at batch 1, 640x640:
# the faces must match exactly; images/s measures the stand-in, not TensorRT. Exit status: verify's (0 = all ok).
# Usage: benchmarks/tensorrt/standin-device.sh [OUT]   (needs `npm run build` with nvcc, or builds it; ../shared)
set -euo pipefail
cd "$(dirname "$0")/../.."
out=${1:-/tmp/standin-device}
mkdir -p "$out"
export ONNXRUNTIME_NODE_INSTALL=skip
[ -d node_modules ] || npm ci --ignore-scripts --no-audit --no-fund
[ -f build/Release/retinaface.node ] && [ -d build/trt-standin/10 ] || npm run build
node dist/lib/cli/main.js doctor | tee "$out/doctor.txt"
model=../shared/models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx
photo=../shared/data/photos/fr_two_people.jpg
status=0
for major in 10 11; do
  echo "== stand-in TensorRT $major"
  RETINAFACE_TENSORRT_LIB_DIR="$PWD/build/trt-standin/$major" RETINAFACE_TRT_LAYER_DIR="$PWD/build/Release" \
  RETINAFACE_STANDIN_RAW640="$PWD/../shared/data/reference/raw640/fr_two_people" RETINAFACE_STANDIN_LOG="$out/standin-$major.log" \
    node dist/lib/cli/main.js verify --batches 1 --cache-dir "$out/engines-$major" --model "$model" "$photo" \
    | tee "$out/verify-$major.txt" || status=$?
done
grep -c "call VExecutionContext::enqueueV3" "$out"/standin-*.log || true
exit $status
