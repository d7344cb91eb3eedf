#!/usr/bin/env bash
# Proves the published package works for a user: prebuild the addon (prebuildify through cmake-js), npm pack (whose
# prepack step embeds the default model and the sample photos), lint the tarball's manifest (publint, attw), check the
# glibc/libstdc++ floor of every shipped binary, then install the tarball into an empty project (1) with no compiler
# on PATH, offline, and (2) without the prebuilds but with a compiler (node-gyp fallback); each time run `retinaface
# detect` on a shared photo, `retinaface doctor`, and an ESM + CommonJS consumer; (1) also detects a shipped sample
# photo with no model configured at all. (3) runs the README's first lines verbatim in an empty folder. Prints tarball
# size and install times. Needs a prior `npm ci` (for the npm cache) and `npm run build`; ../shared beside the checkout.
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
echo "package: $tarball, $(du -k "$work/$tarball" | cut -f1) KiB packed ($(stat -c %s "$work/$tarball") bytes), $(tar -tzf "$work/$tarball" | wc -l) files, $(tar -xzOf "$work/$tarball" | wc -c) bytes unpacked"
mkdir "$work/unpacked" && tar -xzf "$work/$tarball" -C "$work/unpacked"

pkg="$work/unpacked/package"

# The manifest as consumers' tools read it: publint (entry points, exports, files; warnings fail too) and
# arethetypeswrong (types for every entry point under each TypeScript moduleResolution), both on the tarball, offline.
npx --no-install publint run --strict "$work/$tarball"
npx --no-install attw --no-definitely-typed --format table-flipped --no-color --no-emoji "$work/$tarball"

# The embedded default model is the registry's (sha256 pinned in the manifest), and the sample photos are there.
node -e '
  const fs = require("fs"), crypto = require("crypto"), path = require("path");
  const pkg = process.argv[1];
  const manifest = JSON.parse(fs.readFileSync(path.join(pkg, "models/manifest.json"), "utf8"));
  const model = manifest.models.find((m) => m.id === manifest.default);
  const bytes = fs.readFileSync(path.join(pkg, "models", model.onnx.file));
  const sha = crypto.createHash("sha256").update(bytes).digest("hex");
  if (sha !== model.onnx.sha256) { console.error(`embedded model sha256 ${sha} != manifest ${model.onnx.sha256}`); process.exit(1); }
  const samples = fs.readdirSync(path.join(pkg, "samples"));
  if (!samples.includes("LICENSES.md") || samples.filter((f) => f.endsWith(".jpg")).length < 2) { console.error(`samples/: ${samples}`); process.exit(1); }
  console.log(`embedded model: models/${model.onnx.file}, ${bytes.length} bytes, sha256 ${sha} = manifest; samples: ${samples.join(", ")}`);' "$pkg"
test ! -e "$root/models/retinaface-mnet025.onnx" || { echo "postpack left the embedded model in the checkout"; exit 1; }

# glibc floor (docs/install.md): every shipped binary needs at most GLIBC_2.28, and GLIBCXX_3.4.25 / CXXABI_1.3.11
# (GCC 8's libstdc++; ours link it statically, so none at all) and GCC_7.0.0 (libgcc_s of GCC 8).
floor_failed=0
max_version() { # $1 = file, $2 = prefix: the highest version of that prefix the file needs, or "-"
  objdump -T "$1" | grep -o "(\?$2_[0-9.]*)\?" | tr -d '()' | sed "s/^$2_//" | sort -uV | tail -n 1 | grep . || echo "-"
}
above() { [ "$1" != "-" ] && [ "$(printf '%s\n%s\n' "$1" "$2" | sort -V | tail -n 1)" != "$2" ]; }
while IFS= read -r binary; do
  glibc=$(max_version "$binary" GLIBC); glibcxx=$(max_version "$binary" GLIBCXX); cxxabi=$(max_version "$binary" CXXABI); gcc=$(max_version "$binary" GCC)
  echo "floor: ${binary#"$pkg"/}: GLIBC_$glibc GLIBCXX_$glibcxx CXXABI_$cxxabi GCC_$gcc (limits 2.28 3.4.25 1.3.11 7.0.0)"
  if above "$glibc" 2.28 || above "$glibcxx" 3.4.25 || above "$cxxabi" 1.3.11 || above "$gcc" 7.0.0; then
    objdump -T "$binary" | grep -E 'GLIBC_2\.(29|[3-9][0-9])|GLIBCXX_3\.4\.(2[6-9]|3[0-9])|CXXABI_1\.3\.1[2-9]' | sed 's/^/  too new: /' | head -n 20
    floor_failed=1
  fi
done < <(find "$pkg" \( -name '*.node' -o -name '*.so' -o -name '*.so.*' \) -type f | sort)
[ "$floor_failed" = 0 ] || { echo "a shipped binary needs more than glibc 2.28 / GCC 8's libstdc++: see cmake/glibc-floor.cmake"; exit 1; }

# Both TensorRT layers ship beside the prebuilt addon; each exports its entry point and nothing else, and links no
# TensorRT library nor any TensorRT symbol (it dlopens libnvinfer.so.N itself).
for major in 10 11; do
  layer="$pkg/prebuilds/linux-x64/libretinaface_trt$major.so"
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
for tool in node npm npx sh bash curl seq sleep; do ln -s "$(command -v "$tool")" "$bare/$tool"; done
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
# No --model, no RETINAFACE_MODEL, an empty cache and downloads off: the embedded model and a shipped sample photo.
(cd "$work/app1" && env -u RETINAFACE_MODEL PATH="$bare" RETINAFACE_HOME="$work/empty-cache" RETINAFACE_OFFLINE=1 \
  npx retinaface detect --json node_modules/retinaface-trt/samples/two-people.jpg >"$work/embedded.json")
node -e '
  const out = JSON.parse(require("fs").readFileSync(process.argv[1], "utf8"));
  const faces = Object.values(out.images)[0];
  if (faces.length !== 2) { console.error(JSON.stringify(out).slice(0, 500)); process.exit(1); }
  console.log(`embedded model: ${faces.length} faces in samples/two-people.jpg, no model configured, offline`);' "$work/embedded.json"

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

echo "== 3. the README's first lines, verbatim, in an empty folder (no compiler on PATH, offline)"
# The first \`\`\`sh block of README.md, with \`npm install retinaface-trt\` installing the tarball instead (offline),
# and the example port moved to a free one. A \`retinaface serve ... &\` line starts the server: the next line runs
# once /readyz answers (a user would wait for "listening"); the server is stopped at the end.
awk '/^```sh$/ { inside = 1; next } inside && /^```$/ { exit } inside { print }' "$root/README.md" >"$work/readme.sh"
test -s "$work/readme.sh" || { echo "README.md has no \`\`\`sh block"; exit 1; }
grep -q '^npm install retinaface-trt$' "$work/readme.sh" || { echo "README's first block does not start from npm install retinaface-trt"; exit 1; }
port=$(node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })')
mkdir "$work/app3"
{
  echo 'set -euo pipefail'
  while IFS= read -r line; do
    line=${line//8080/$port}
    line=${line/#npm install retinaface-trt/npm install --offline --no-audit --no-fund $work/$tarball}
    printf 'echo %q\n%s\n' "\$ $line" "$line"
    case "$line" in
      *"retinaface serve"*"&"*) printf 'for i in $(seq 1 120); do curl -sf http://127.0.0.1:%s/readyz >/dev/null && break; sleep 0.5; done\n' "$port" ;;
    esac
  done <"$work/readme.sh"
} >"$work/readme-run.sh"
# In a process group of its own, so that the server it started is stopped with it.
(cd "$work/app3" && exec setsid env -u RETINAFACE_MODEL PATH="$bare" RETINAFACE_HOME="$work/empty-cache" RETINAFACE_OFFLINE=1 \
  bash "$work/readme-run.sh") >"$work/readme.out" 2>&1 &
readme_pid=$!
readme_rc=0
wait "$readme_pid" || readme_rc=$?
kill -TERM -- "-$readme_pid" 2>/dev/null || true
[ "$readme_rc" = 0 ] || { cat "$work/readme.out"; echo "the README's first lines failed"; exit 1; }
grep -v '^npm \(warn\|notice\)' "$work/readme.out" | cut -c1-200
grep -q 'two-people.jpg: 2 faces' "$work/readme.out" || { echo "README: detect did not print 2 faces"; exit 1; }
echo "package checks: ok"
