/**
 * `npm pack`'s prepack step: puts what a user needs on first run into the package, so that it works offline.
 *   - models/<id>.onnx: the default model, converted by our own converter from the official weights (the registry's
 *     file, size and sha256 checked) and checked against the ONNX sha256 pinned in models/manifest.json;
 *   - samples/: openly licensed sample photos (licences in samples/LICENSES.md, which is committed; the photos are not).
 * `--clean` (postpack) removes both again, so a git checkout keeps resolving models as before (env, cache, download).
 * `--print-pin` converts and prints the manifest's `onnx` entry instead of checking it (after a converter change).
 *
 * Weights: $RETINAFACE_WEIGHTS, else ../shared/models/retinaface-mnet025/<file>, else the model cache.
 * Photos: $RETINAFACE_SAMPLES_FROM, else ../shared/data/photos.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { modelCacheDir } from '../lib/models/cache-dir';
import { convertCheckpointBytes } from '../lib/models/convert';
import { embeddedModelFile } from '../lib/models/embedded';
import { findModel } from '../lib/models/manifest';
import { modelFiles } from '../lib/models/registry';

const root = path.join(__dirname, '..');
const shared = path.join(root, '..', 'shared');

/** The sample photos: source name in shared/data/photos, name in the package, sha256 (see samples/LICENSES.md). */
const SAMPLES = [
  {
    from: 'fr_two_people.jpg',
    to: 'two-people.jpg',
    sha256: '536b29cd513fb618e4d5aa79d51a279948daa804ce359463449cce5f9dc68aa7',
  },
  {
    from: 'rf_curve_test.jpg',
    to: 'crowd.jpg',
    sha256: '0502c018d80d96f17c315fa096c88d6ed89775ce7c15754d4d697f09f36e84fa',
  },
];

const sha256 = (bytes: Uint8Array) => createHash('sha256').update(bytes).digest('hex');

function fail(message: string): never {
  console.error(`embed-assets: ${message}`);
  process.exit(1);
}

function clean(): void {
  fs.rmSync(embeddedModelFile(findModel(undefined), root), { force: true });
  for (const sample of SAMPLES) fs.rmSync(path.join(root, 'samples', sample.to), { force: true });
}

function weightsFile(): string {
  const model = findModel(undefined);
  const candidates = [
    process.env.RETINAFACE_WEIGHTS,
    path.join(shared, 'models', model.id, model.weights.file),
    modelFiles(model, modelCacheDir()).weights,
  ].filter((file): file is string => !!file);
  const found = candidates.find((file) => fs.existsSync(file));
  if (!found)
    fail(
      `no ${model.weights.file} found (looked in ${candidates.join(', ')}); run \`npx retinaface fetch\` or set RETINAFACE_WEIGHTS`,
    );
  return found;
}

async function embedModel(printPin: boolean): Promise<void> {
  const model = findModel(undefined);
  const source = weightsFile();
  const weights = fs.readFileSync(source);
  if (weights.length !== model.weights.size || sha256(weights) !== model.weights.sha256) {
    fail(
      `${source} is not the registry's ${model.weights.file} (sha256 ${sha256(weights)}, expected ${model.weights.sha256})`,
    );
  }
  const { onnx } = await convertCheckpointBytes(weights, source, { architecture: model.architecture });
  const digest = sha256(onnx);
  const file = embeddedModelFile(model, root);
  if (printPin) {
    console.log(JSON.stringify({ file: path.basename(file), size: onnx.length, sha256: digest }, null, 2));
    return;
  }
  if (!model.onnx) fail(`models/manifest.json pins no ONNX for ${model.id}; add the entry that --print-pin prints`);
  if (onnx.length !== model.onnx.size || digest !== model.onnx.sha256) {
    fail(
      `the ONNX converted from ${source} (${onnx.length} bytes, sha256 ${digest}) is not the one models/manifest.json pins ` +
        `(${model.onnx.size} bytes, sha256 ${model.onnx.sha256}). If the converter or the package version changed on ` +
        'purpose, check its outputs (npx tap test/models-convert.test.ts) and pin the new one (--print-pin).',
    );
  }
  fs.writeFileSync(file, onnx);
  console.error(`embed-assets: ${path.relative(root, file)} (${onnx.length} bytes, sha256 ${digest}) from ${source}`);
}

function embedSamples(): void {
  const from = process.env.RETINAFACE_SAMPLES_FROM ?? path.join(shared, 'data', 'photos');
  fs.mkdirSync(path.join(root, 'samples'), { recursive: true });
  for (const sample of SAMPLES) {
    const source = path.join(from, sample.from);
    if (!fs.existsSync(source)) fail(`sample photo ${source} is missing (set RETINAFACE_SAMPLES_FROM)`);
    const bytes = fs.readFileSync(source);
    if (sha256(bytes) !== sample.sha256)
      fail(`${source} is not the sample photo listed in samples/LICENSES.md (sha256 ${sha256(bytes)})`);
    fs.writeFileSync(path.join(root, 'samples', sample.to), bytes);
  }
  console.error(`embed-assets: samples/ ${SAMPLES.map((s) => s.to).join(', ')}`);
}

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  if (args.includes('--clean')) return clean();
  if (args.includes('--print-pin')) return embedModel(true);
  await embedModel(false);
  embedSamples();
}

main().catch((error: unknown) => fail((error as Error).stack ?? String(error)));
