#!/usr/bin/env node
// Stand-in for node-gyp when prebuildify builds the addon: prebuildify only knows how to call node-gyp, but our
// full build (CUDA kernels, TensorRT loader and layers) is CMake. Accepts node-gyp's arguments, runs cmake-js, and
// leaves the addon in build/Release where prebuildify looks for it. prebuildify copies only the .node file, so the
// TensorRT layers (libretinaface_trt10.so / libretinaface_trt11.so, which the addon looks for in its own folder) are
// put into prebuilds/<platform>-<arch>/ here, stripped when prebuildify strips.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.join(__dirname, '..');
const args = process.argv.slice(2);
const debug = args.includes('--debug');
const arch = (args.find((a) => a.startsWith('--arch=')) || '').split('=')[1];
const cmakeJs = path.join(root, 'node_modules', '.bin', 'cmake-js');
const cmakeArgs = ['compile', '--out', 'build', ...(debug ? ['--debug'] : []), ...(arch ? ['--arch', arch] : [])];
console.error(`node-gyp-cmake: ${args.join(' ')} -> cmake-js ${cmakeArgs.join(' ')}`);
const result = spawnSync(cmakeJs, cmakeArgs, { stdio: 'inherit', cwd: root });
if (result.status !== 0) process.exit(result.status ?? 1);

// Only when called by prebuildify (it sets PREBUILD_PLATFORM / PREBUILD_ARCH), not for a plain `npm install` build.
if (process.env.PREBUILD_PLATFORM && process.env.PREBUILD_ARCH) {
  const built = path.join(root, 'build', debug ? 'Debug' : 'Release');
  const target = path.join(root, 'prebuilds', `${process.env.PREBUILD_PLATFORM}-${process.env.PREBUILD_ARCH}`);
  const layers = fs.readdirSync(built).filter((name) => /^libretinaface_trt\d+\.so$/.test(name));
  fs.mkdirSync(target, { recursive: true });
  for (const layer of layers) {
    fs.copyFileSync(path.join(built, layer), path.join(target, layer));
    if (process.env.PREBUILD_STRIP === '1') {
      const strip = spawnSync(
        process.env.PREBUILD_STRIP_BIN || 'strip',
        ['--strip-unneeded', path.join(target, layer)],
        { stdio: 'inherit' },
      );
      if (strip.status !== 0) process.exit(strip.status ?? 1);
    }
    console.error(`node-gyp-cmake: ${layer} -> ${path.relative(root, target)}/`);
  }
  if (layers.length === 0) console.error('node-gyp-cmake: no TensorRT layer was built (no TensorRT headers found)');
}
