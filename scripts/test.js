#!/usr/bin/env node
// The project's test command: every C++ test binary (build/retinaface_*_tests), then the tap suite; ends with one
// "N passed, N failed" line over all (C++ test cases + tap assertions). Extra arguments go to tap.
'use strict';
const { spawn } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');

function run(command, args) {
  return new Promise((resolve) => {
    const child = spawn(command, args, { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
    let output = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      output += chunk;
      if (output.length > 1 << 20) output = output.slice(-65536);
    });
    child.on('close', (code, signal) => resolve({ code, signal, output }));
    child.on('error', (error) => resolve({ code: -1, signal: null, output: String(error) }));
  });
}

// Every C++ test binary of the build (core, CUDA, TensorRT pipeline, ...): build/retinaface_*_tests.
function nativeTestBinaries() {
  for (const dir of ['build', 'build/Release']) {
    const full = path.join(root, dir);
    if (!fs.existsSync(full)) continue;
    const found = fs
      .readdirSync(full)
      .filter((name) => /^retinaface_\w+_tests$/.test(name))
      .sort();
    if (found.length) return found.map((name) => path.join(full, name));
  }
  return [];
}

async function main() {
  let passed = 0;
  let failed = 0;
  let skipped = 0; // cases that need hardware this machine lacks (a GPU)
  // A runner that printed no summary, or exited non-zero without reporting a failure, counts as one failure.
  const tally = (pass, fail, summarised, exitCode) => {
    passed += pass;
    failed += fail;
    if (!summarised || (exitCode !== 0 && fail === 0)) failed++;
  };

  const binaries = nativeTestBinaries();
  if (binaries.length === 0) {
    console.error('C++ test binaries not found: run `npm run build` first');
    failed++;
  }
  for (const binary of binaries) {
    const native = await run(binary, []);
    // "N passed, N failed" (binaries that can skip cases add ", N skipped").
    const m = /(\d+) passed, (\d+) failed(?:, (\d+) skipped)?\s*$/.exec(native.output);
    tally(m ? Number(m[1]) : 0, m ? Number(m[2]) : 0, Boolean(m), native.code);
    skipped += Number(m?.[3] ?? 0);
  }

  const tap = await run(path.join(root, 'node_modules', '.bin', 'tap'), process.argv.slice(2));
  const summary = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(tap.output);
  tally(Number(summary?.[2] ?? 0), Number(summary?.[3] ?? 0), Boolean(summary), tap.code);

  console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
