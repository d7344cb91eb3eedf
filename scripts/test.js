#!/usr/bin/env node
// The project's test command: the C++ core test binary, then the tap suite; ends with one
// "N passed, N failed" line over both (C++ test cases + tap assertions). Extra arguments go to tap.
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

function nativeTestBinary() {
  for (const candidate of ['build/retinaface_core_tests', 'build/Release/retinaface_core_tests']) {
    if (fs.existsSync(path.join(root, candidate))) return path.join(root, candidate);
  }
  return undefined;
}

async function main() {
  let passed = 0;
  let failed = 0;
  // A runner that printed no summary, or exited non-zero without reporting a failure, counts as one failure.
  const tally = (pass, fail, summarised, exitCode) => {
    passed += pass;
    failed += fail;
    if (!summarised || (exitCode !== 0 && fail === 0)) failed++;
  };

  const binary = nativeTestBinary();
  if (!binary) {
    console.error('C++ test binary not found: run `npm run build` first');
    failed++;
  } else {
    const native = await run(binary, []);
    const m = /(\d+) passed, (\d+) failed\s*$/.exec(native.output);
    tally(m ? Number(m[1]) : 0, m ? Number(m[2]) : 0, Boolean(m), native.code);
  }

  const tap = await run(path.join(root, 'node_modules', '.bin', 'tap'), process.argv.slice(2));
  const summary = /# \{ total: (\d+)(?:, pass: (\d+))?(?:, fail: (\d+))?/.exec(tap.output);
  tally(Number(summary?.[2] ?? 0), Number(summary?.[3] ?? 0), Boolean(summary), tap.code);

  console.log(`${passed} passed, ${failed} failed`);
  process.exitCode = failed === 0 ? 0 : 1;
}

main();
