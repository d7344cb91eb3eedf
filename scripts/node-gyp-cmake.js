#!/usr/bin/env node
// Stand-in for node-gyp when prebuildify builds the addon: prebuildify only knows how to call node-gyp, but our
// full build (CUDA kernels, TensorRT loader) is CMake. Accepts node-gyp's arguments, runs cmake-js, and leaves the
// addon in build/Release where prebuildify looks for it.
'use strict';
const { spawnSync } = require('node:child_process');
const path = require('node:path');

const args = process.argv.slice(2);
const debug = args.includes('--debug');
const arch = (args.find((a) => a.startsWith('--arch=')) || '').split('=')[1];
const cmakeJs = path.join(__dirname, '..', 'node_modules', '.bin', 'cmake-js');
const cmakeArgs = ['compile', '--out', 'build', ...(debug ? ['--debug'] : []), ...(arch ? ['--arch', arch] : [])];
console.error(`node-gyp-cmake: ${args.join(' ')} -> cmake-js ${cmakeArgs.join(' ')}`);
const result = spawnSync(cmakeJs, cmakeArgs, { stdio: 'inherit', cwd: path.join(__dirname, '..') });
process.exit(result.status ?? 1);
