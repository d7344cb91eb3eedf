// Every entry point exports the same names to ESM and CommonJS consumers: the ESM files re-export the compiled
// CommonJS by hand, and once drifted (`import { evaluateWider } from 'retinaface-trt'` failed while the .d.mts
// promised it). Needs dist/ (npm test builds it first).
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import t from 'tap';

const root = path.resolve(__dirname, '..');
const entries: [name: string, cjs: string, esm: string][] = [
  ['retinaface-trt', 'dist/lib/index.js', 'esm/index.mjs'],
  ['retinaface-trt/server', 'dist/lib/server/app.js', 'esm/server.mjs'],
];

for (const [name, cjsFile, esmFile] of entries) {
  t.test(`${name}: the same exports from ESM and CommonJS`, async (t) => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- what a CommonJS consumer gets
    const cjs = require(path.join(root, cjsFile)) as Record<string, unknown>;
    const esm = (await import(pathToFileURL(path.join(root, esmFile)).href)) as Record<string, unknown>;
    const cjsNames = Object.keys(cjs)
      .filter((key) => key !== '__esModule')
      .sort();
    const esmNames = Object.keys(esm)
      .filter((key) => key !== 'default')
      .sort();
    t.ok(cjsNames.length > 0, `${cjsFile} exports something`);
    t.same(esmNames, cjsNames, `${esmFile} names every export of ${cjsFile}`);
    for (const key of esmNames) t.equal(esm[key], cjs[key], `${key} is the same object`);
  });
}
