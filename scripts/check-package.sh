#!/usr/bin/env bash
# Proves the published package works for a user: prebuild the addon (prebuildify through cmake-js), npm pack,
# then install the tarball into an empty project (1) with no compiler on PATH, offline, and (2) without the
# prebuilds but with a compiler (node-gyp fallback); each time run `retinaface detect` on a shared photo,
# `retinaface doctor`, and an ESM + CommonJS consumer. Prints tarball size and install times.
# Needs a prior `npm ci` (for the npm cache) and `npm run build`; ../shared beside the checkout.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
shared=$(cd "$root/../shared" && pwd)
photo="$shared/data/photos/fr_two_people.jpg"
model="$shared/models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export ONNXRUNTIME_NODE_INSTALL=skip

cd "$root"
npm run prebuild --silent >"$work/prebuild.log" 2>&1 || { cat "$work/prebuild.log"; exit 1; }
ls -l prebuilds/*/
tarball=$(npm pack --silent --pack-destination "$work" | tail -n 1)
echo "package: $tarball, $(du -k "$work/$tarball" | cut -f1) KiB packed, $(tar -tzf "$work/$tarball" | wc -l) files"

# Both TensorRT layers ship beside the prebuilt addon; each exports its entry point and nothing else, and links no
# TensorRT library nor any TensorRT symbol (it dlopens libnvinfer.so.N itself).
mkdir -p "$work/unpacked" && tar -xzf "$work/$tarball" -C "$work/unpacked"
for major in 10 11; do
  layer="$work/unpacked/package/prebuilds/linux-x64/libretinaface_trt$major.so"
  test -f "$layer" || { echo "the tarball has no prebuilds/linux-x64/libretinaface_trt$major.so"; exit 1; }
  exported=$(nm -D --defined-only "$layer" | awk '{print $3}' | sort | tr '\n' ' ')
  [ "$exported" = "retinaface_trt_get_api " ] || { echo "libretinaface_trt$major.so exports: $exported"; exit 1; }
  if readelf -d "$layer" | grep NEEDED | grep -Eq 'libnvinfer|libnvonnxparser|libcuda'; then
    echo "libretinaface_trt$major.so links TensorRT or CUDA:"; readelf -d "$layer" | grep NEEDED; exit 1
  fi
  if nm -D --undefined-only "$layer" | grep -Eiq 'nvinfer|nvonnxparser|_INTERNAL|getInferLibVersion'; then
    echo "libretinaface_trt$major.so references TensorRT symbols:"; nm -D --undefined-only "$layer" | grep -Ei 'nvinfer|onnx|INTERNAL'; exit 1
  fi
  echo "layer: prebuilds/linux-x64/libretinaface_trt$major.so, $(du -k "$layer" | cut -f1) KiB, exports only retinaface_trt_get_api, no TensorRT symbol"
done

# A PATH with node and npm but no compiler or build tool.
bare="$work/bare-bin"
mkdir -p "$bare"
for tool in node npm npx sh bash; do ln -s "$(command -v "$tool")" "$bare/$tool"; done
for tool in g++ gcc cc c++ nvcc cmake make; do
  if PATH="$bare" command -v "$tool" >/dev/null 2>&1; then echo "$tool is still visible"; exit 1; fi
done

check_install() { # $1 = app folder; $2 = expected CUDA line; $3 = PATH for the package's own commands; $4 = layers line
  local app=$1 run_path=$3
  (cd "$app" && PATH="$run_path" npx retinaface detect --json --model "$model" "$photo" >"$work/detect.json")
  node -e '
    const out = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
    const faces = Object.values(out.images)[0];
    if (out.backend.name !== "cpu" || faces.length !== 2) { console.error(JSON.stringify(out).slice(0, 500)); process.exit(1); }
    console.log(`detect: ${faces.length} faces on the CPU backend (${out.backend.reason.slice(0, 120)})`);' "$work/detect.json"
  (cd "$app" && PATH="$run_path" npx retinaface doctor >"$work/doctor.txt")
  cat "$work/doctor.txt"
  grep -q "backend auto:  cpu (TensorRT cannot run here" "$work/doctor.txt"
  grep -q "CUDA kernels:  $2" "$work/doctor.txt"
  grep -q "TensorRT layers: $4" "$work/doctor.txt" || { echo "doctor does not say 'TensorRT layers: $4'"; exit 1; }
  # ESM and CommonJS consumers of the installed package.
  (cd "$app" && PATH="$run_path" node -e '
    const { Detector, runtimeInfo } = require("retinaface-trt");
    const { createServer } = require("retinaface-trt/server");
    if (typeof Detector.create !== "function" || typeof createServer !== "function" || !runtimeInfo().napiVersion) process.exit(1);
    console.log("CommonJS consumer: ok")')
  (cd "$app" && PATH="$run_path" node --input-type=module -e '
    import { Detector } from "retinaface-trt";
    import { retinafaceRoutes } from "retinaface-trt/server";
    const d = await Detector.create({ model: process.argv[1] });
    const faces = await d.detect(process.argv[2]);
    await d.close();
    if (faces.length !== 2 || typeof retinafaceRoutes !== "function") process.exit(1);
    console.log("ESM consumer: ok, 2 faces")' "$model" "$photo")
}

# The consumer resolves its own dependency versions; put any the registry cache lacks into it first, so the
# installs below run --offline (from the cache alone, as from an offline mirror).
mkdir "$work/warm" && (cd "$work/warm" && npm init -y >/dev/null && npm install --prefer-offline --ignore-scripts --no-audit --no-fund "$work/$tarball" >/dev/null 2>&1)

echo "== 1. prebuilt binary, no compiler on PATH, offline"
mkdir "$work/app1" && (cd "$work/app1" && npm init -y >/dev/null)
start=$(date +%s.%N)
(cd "$work/app1" && PATH="$bare" npm install --offline --no-audit --no-fund "$work/$tarball" >"$work/install1.log" 2>&1) || { cat "$work/install1.log"; exit 1; }
echo "install (prebuilt, offline): $(echo "$(date +%s.%N) - $start" | bc) s"
check_install "$work/app1" "compiled for" "$bare" "libretinaface_trt11.so, libretinaface_trt10.so in .*/prebuilds/linux-x64"

echo "== 2. prebuilds removed, compiler present: binding.gyp fallback"
mkdir -p "$work/repack" && tar -xzf "$work/$tarball" -C "$work/repack"
rm -rf "$work/repack/package/prebuilds"
(cd "$work/repack" && tar -czf "$work/no-prebuilds.tgz" package)
mkdir "$work/app2" && (cd "$work/app2" && npm init -y >/dev/null)
start=$(date +%s.%N)
(cd "$work/app2" && npm install --offline --foreground-scripts --no-audit --no-fund "$work/no-prebuilds.tgz" >"$work/install2.log" 2>&1) || { cat "$work/install2.log"; exit 1; }
echo "install (source fallback, offline): $(echo "$(date +%s.%N) - $start" | bc) s"
grep -m1 "building the CPU-only addon" "$work/install2.log" || { echo "no fallback message"; cat "$work/install2.log"; exit 1; }
test -f "$work/app2/node_modules/retinaface-trt/build/Release/retinaface.node" || { echo "no addon was built"; exit 1; }
check_install "$work/app2" "not in this build" "$PATH" "none in "
echo "package checks: ok"
