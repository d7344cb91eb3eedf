#!/usr/bin/env node
// Formats the C++ and CUDA sources (native/, benchmarks/, fuzz/: *.h, *.cc, *.cu, *.cuh) with the clang-format of
// devDependencies (@wasm-fmt/clang-format: WebAssembly, so the same version on every machine, no native binary to
// match the glibc) and .clang-format. `--check` changes nothing and fails on any file that is not formatted.
'use strict';
const { spawnSync } = require('node:child_process');
const fs = require('node:fs');
const path = require('node:path');

const root = path.resolve(__dirname, '..');
const FOLDERS = ['native', 'benchmarks', 'fuzz'];
const EXTENSIONS = new Set(['.h', '.cc', '.cu', '.cuh']);

function sources(dir) {
  const found = [];
  for (const entry of fs.readdirSync(path.join(root, dir), { withFileTypes: true })) {
    const relative = path.join(dir, entry.name);
    if (entry.isDirectory()) found.push(...sources(relative));
    else if (entry.isFile() && EXTENSIONS.has(path.extname(entry.name))) found.push(relative);
  }
  return found;
}

const check = process.argv.includes('--check');
const packageDir = path.dirname(require.resolve('@wasm-fmt/clang-format/package.json'));
const cli = path.join(packageDir, require('@wasm-fmt/clang-format/package.json').bin['clang-format']);
const files = FOLDERS.flatMap(sources).sort();
// A check reports the first difference of each file that is not formatted (the formatter shows the rest).
const mode = check ? ['--dry-run', '--Werror', '--ferror-limit=1'] : ['-i'];
const result = spawnSync(process.execPath, [cli, ...mode, ...files], { cwd: root, stdio: 'inherit' });
if (result.status !== 0) {
  if (check) console.error('clang-format: some files are not formatted: run `npm run format`');
  process.exit(result.status ?? 1);
}
console.log(`clang-format: ${files.length} files ${check ? 'checked' : 'formatted'}`);
