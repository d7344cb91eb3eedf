#!/usr/bin/env node
// npm install hook: use the prebuilt addon when one matches this platform and loads; otherwise build the CPU-only
// addon from binding.gyp with node-gyp, saying so (the CUDA/TensorRT path needs the prebuilt binary or cmake-js).
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const root = path.join(__dirname, '..');
try {
  require('node-gyp-build')(root);
  process.exit(0);
} catch (error) {
  const why = String(error && error.message).split('\n')[0];
  console.error(
    `retinaface-trt: no usable prebuilt binary for ${process.platform}-${process.arch} (${why}).\n` +
      'retinaface-trt: building the CPU-only addon from source with node-gyp (needs python3, make and a C++17 compiler);\n' +
      'retinaface-trt: the TensorRT backend needs the prebuilt linux-x64 binary or `npm run build:native` (cmake-js, CUDA).',
  );
}
// npm exposes the node-gyp it bundles through npm_config_node_gyp.
const nodeGyp = process.env.npm_config_node_gyp;
const result = nodeGyp
  ? spawnSync(process.execPath, [nodeGyp, 'rebuild'], { cwd: root, stdio: 'inherit' })
  : spawnSync('node-gyp', ['rebuild'], { cwd: root, stdio: 'inherit', shell: true });
process.exit(result.status ?? 1);
