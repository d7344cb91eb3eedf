// The default model embedded in the npm package (issue 21): our converter turns the shared official weights into
// exactly the ONNX the manifest pins; the resolver prefers the embedded copy after an explicit path and
// RETINAFACE_MODEL, refuses a damaged one, and without one behaves as before; samplePhotos() lists shipped photos.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { convertCheckpointBytes } from '../lib/models/convert';
import { embeddedModelFile } from '../lib/models/embedded';
import { findModel } from '../lib/models/manifest';
import { resolveModel, resolveModelPath } from '../lib/models/resolve';
import { samplePhotos } from '../lib/models/samples';
import { SHARED } from './helpers/shared';

const model = findModel(undefined);
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-embedded-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const offline = { RETINAFACE_HOME: path.join(tmp, 'empty-cache'), RETINAFACE_OFFLINE: '1' };

function packageRoot(name: string, onnx?: Uint8Array): string {
  const root = path.join(tmp, name);
  fs.mkdirSync(path.join(root, 'models'), { recursive: true });
  if (onnx) fs.writeFileSync(embeddedModelFile(model, root), onnx);
  return root;
}

t.test('the shared official weights convert to the ONNX the manifest pins', async (t) => {
  const weights = fs.readFileSync(path.join(SHARED, 'models', model.id, model.weights.file));
  const { onnx } = await convertCheckpointBytes(weights, model.weights.file, { architecture: model.architecture });
  t.ok(model.onnx, 'the default model pins its ONNX');
  t.equal(onnx.length, model.onnx!.size, 'size');
  t.equal(createHash('sha256').update(onnx).digest('hex'), model.onnx!.sha256, 'sha256');

  const root = packageRoot('with-model', onnx);
  const embedded = embeddedModelFile(model, root);
  t.equal(
    await resolveModel(undefined, offline, { packageRoot: root }),
    embedded,
    'no model configured: the embedded one, offline',
  );
  t.equal(resolveModelPath(undefined, offline, { packageRoot: root }), embedded, 'the sync form too');
  t.equal(
    await resolveModel(undefined, { ...offline, RETINAFACE_MODEL: '/env.onnx' }, { packageRoot: root }),
    '/env.onnx',
    'RETINAFACE_MODEL wins over it',
  );
  t.equal(
    resolveModelPath('/explicit.onnx', { ...offline, RETINAFACE_MODEL: '/env.onnx' }, { packageRoot: root }),
    '/explicit.onnx',
    'an explicit path wins over both',
  );
});

t.test('a damaged embedded model is MODEL_INVALID, not skipped', async (t) => {
  const root = packageRoot('damaged', new Uint8Array([1, 2, 3]));
  await t.rejects(resolveModel(undefined, offline, { packageRoot: root }), {
    code: 'MODEL_INVALID',
    message: /damaged.*reinstall/,
  });
});

t.test('without an embedded model (a git checkout): cache, then download, as before', async (t) => {
  const root = packageRoot('without');
  await t.rejects(resolveModel(undefined, offline, { packageRoot: root }), {
    code: 'MODEL_NOT_FOUND',
    message: /RETINAFACE_MODEL/,
  });
  const home = path.join(tmp, 'cache');
  const cached = path.join(home, model.id, `${model.id}.onnx`);
  fs.mkdirSync(path.dirname(cached), { recursive: true });
  fs.writeFileSync(cached, 'x');
  t.equal(
    await resolveModel(undefined, { ...offline, RETINAFACE_HOME: home }, { packageRoot: root }),
    cached,
    'the cached model',
  );
});

t.test('samplePhotos lists the shipped photos, or nothing', async (t) => {
  const root = packageRoot('samples');
  t.same(samplePhotos(root), [], 'no samples/ folder');
  fs.mkdirSync(path.join(root, 'samples'));
  for (const name of ['two-people.jpg', 'LICENSES.md', 'crowd.jpg'])
    fs.writeFileSync(path.join(root, 'samples', name), '');
  t.same(samplePhotos(root), [path.join(root, 'samples', 'crowd.jpg'), path.join(root, 'samples', 'two-people.jpg')]);
});
