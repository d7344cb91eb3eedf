// Official weights -> ONNX in Node (issue 8, acceptance 1): the graph we build from the shared .pth matches the
// shared PyTorch export through onnxruntime-node at three shapes (odd sizes included) and gives the same detections.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import sharp from 'sharp';
import t from 'tap';
import { Detector } from '../lib';
import { readCheckpoint } from '../lib/models/checkpoint/read-checkpoint';
import { convertCheckpointBytes, convertCheckpointFile } from '../lib/models/convert';
import { decodeModel } from '../lib/models/onnx/graph-builder';
import { legacyCheckpoint, type TensorSpec, zipCheckpoint } from './helpers/pickle';
import { MODEL_DYNAMIC, PHOTOS, readF32, REFERENCE, SHARED } from './helpers/shared';

const WEIGHTS = path.join(SHARED, 'models/retinaface-mnet025/mobilenet0.25_Final.pth');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-convert-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const built = path.join(tmp, 'retinaface_mnet025.onnx');

type Outputs = Record<'loc' | 'conf' | 'landms', Float32Array>;

async function run(session: ort.InferenceSession, input: Float32Array, dims: number[]): Promise<Outputs> {
  const results = await session.run({ input0: new ort.Tensor('float32', input, dims) });
  const get = (name: string) => results[name]!.data as Float32Array;
  return { loc: get('loc'), conf: get('conf'), landms: get('landms') };
}

function maxDiff(a: Float32Array, b: Float32Array): number {
  if (a.length !== b.length) return Infinity;
  let max = 0;
  for (let i = 0; i < a.length; i++) max = Math.max(max, Math.abs(a[i]! - b[i]!));
  return max;
}

/** The reference's letterboxed network input: PNG pixels in B, G, R order minus (104, 117, 123), NCHW. */
async function referenceInput(photo: string, rows = 640): Promise<Float32Array> {
  const { data, info } = await sharp(path.join(REFERENCE, 'raw640', `${photo}.input640_bgr.png`))
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const plane = rows * info.width;
  const out = new Float32Array(3 * plane);
  const mean = [104, 117, 123];
  for (let i = 0; i < plane; i++) {
    for (let c = 0; c < 3; c++) out[c * plane + i] = data[i * 3 + (2 - c)]! - mean[c]!; // RGB pixel -> B, G, R planes
  }
  return out;
}

t.before(async () => {
  await convertCheckpointFile(WEIGHTS, built);
});

t.test('built ONNX: interface, metadata, ops', async (t) => {
  const model = decodeModel(fs.readFileSync(built));
  const graph = model.graph!;
  t.same(
    graph.input!.map((i) => i.name),
    ['input0'],
  );
  t.same(
    graph.output!.map((o) => o.name),
    ['loc', 'conf', 'landms'],
  );
  const dims = (v: onnx.IValueInfoProto) =>
    v.type!.tensorType!.shape!.dim!.map((d) => d.dimParam || Number(d.dimValue));
  t.same(dims(graph.input![0]!), ['batch', 3, 'height', 'width'], 'dynamic batch, height, width');
  t.same(graph.output!.map(dims), [
    ['batch', 'priors', 4],
    ['batch', 'priors', 2],
    ['batch', 'priors', 10],
  ]);
  const ops = new Set(graph.node!.map((n) => n.opType));
  t.notOk(ops.has('BatchNormalization'), 'batch-norm folded into the convolutions');
  t.equal(graph.node!.filter((n) => n.opType === 'Conv').length, 56);
  t.equal(graph.initializer!.filter((i) => i.dataType === 1).length, 112, 'one weight and one bias per conv');
  // BN is folded in float32 exactly as torch.onnx.export folds it: the weights are the shared export's, bit for bit.
  const digest = (t: { rawData?: Uint8Array | null }) => createHash('sha256').update(t.rawData!).digest('hex');
  const theirs = decodeModel(fs.readFileSync(MODEL_DYNAMIC)).graph!.initializer!.filter((i) => i.dataType === 1);
  t.same(
    graph
      .initializer!.filter((i) => i.dataType === 1)
      .map(digest)
      .sort(),
    theirs.map(digest).sort(),
    'every weight tensor equals one of the shared export',
  );
  const meta = Object.fromEntries(model.metadataProps!.map((p) => [p.key, p.value]));
  t.equal(meta.architecture, 'mobilenet0.25');
  t.equal(meta.weights_sha256, '2979b33ffafda5d74b6948cd7a5b9a7a62f62b949cef24e95fd15d2883a65220');
});

t.test('outputs equal the shared PyTorch export (and PyTorch itself) at 1x640x640, 2x480x640, 1x517x389', async (t) => {
  const ours = await ort.InferenceSession.create(built);
  const theirs = await ort.InferenceSession.create(MODEL_DYNAMIC);
  t.teardown(async () => {
    await ours.release();
    await theirs.release();
  });
  const twoPeople = await referenceInput('fr_two_people');
  const curve480 = await referenceInput('rf_curve_test', 480);
  const cases: { what: string; input: Float32Array; dims: number[]; pytorch?: string }[] = [
    { what: '1x3x640x640', input: twoPeople, dims: [1, 3, 640, 640], pytorch: 'raw640/fr_two_people' },
    {
      what: '2x3x480x640',
      input: Float32Array.from([...(await referenceInput('fr_two_people', 480)), ...curve480]),
      dims: [2, 3, 480, 640],
    },
    {
      what: '1x3x517x389',
      input: readF32(path.join(REFERENCE, 'raw_dynamic/random_1x3x517x389.input.f32')),
      dims: [1, 3, 517, 389],
      pytorch: 'raw_dynamic/random_1x3x517x389',
    },
  ];
  for (const { what, input, dims, pytorch } of cases) {
    const a = await run(ours, input, dims);
    const b = await run(theirs, input, dims);
    const d = { loc: maxDiff(a.loc, b.loc), conf: maxDiff(a.conf, b.conf), landms: maxDiff(a.landms, b.landms) };
    t.comment(
      `${what} vs shared ONNX: loc ${d.loc.toExponential(2)}, conf ${d.conf.toExponential(2)}, landms ${d.landms.toExponential(2)}`,
    );
    t.ok(d.loc <= 1e-4 && d.landms <= 1e-4, `${what}: loc and landms within 1e-4 of the shared export`);
    t.ok(d.conf <= 1e-5, `${what}: conf within 1e-5`);
    if (pytorch) {
      const ref = (head: string) => readF32(path.join(REFERENCE, `${pytorch}.${head}.f32`));
      const p = {
        loc: maxDiff(a.loc, ref('loc')),
        conf: maxDiff(a.conf, ref('conf')),
        landms: maxDiff(a.landms, ref('landms')),
      };
      t.comment(
        `${what} vs PyTorch: loc ${p.loc.toExponential(2)}, conf ${p.conf.toExponential(2)}, landms ${p.landms.toExponential(2)}`,
      );
      t.ok(
        p.loc <= 1e-4 && p.landms <= 1e-4 && p.conf <= 1e-5,
        `${what}: within the same bounds of PyTorch's own outputs`,
      );
    }
  }
});

t.test('the Detector finds the same faces with the built model as with the shared export', async (t) => {
  const ours = await Detector.create({ model: built, backend: 'cpu' });
  const theirs = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu' });
  t.teardown(async () => {
    await ours.close();
    await theirs.close();
  });
  const photos = fs
    .readdirSync(PHOTOS)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort();
  let faces = 0;
  let worst = 0;
  for (const photo of photos) {
    const file = path.join(PHOTOS, photo);
    const [a, b] = await Promise.all([ours.detect(file), theirs.detect(file)]);
    t.equal(a.length, b.length, `${photo}: ${b.length} faces`);
    a.forEach((face, i) => {
      const other = b[i]!;
      const values = [face.score, ...face.box, ...face.landmarks.flat()];
      const expected = [other.score, ...other.box, ...other.landmarks.flat()];
      values.forEach((v, k) => (worst = Math.max(worst, Math.abs(v - expected[k]!))));
    });
    faces += a.length;
  }
  t.comment(
    `${photos.length} photos, ${faces} faces, largest difference in score/box/landmarks ${worst.toExponential(2)}`,
  );
  t.ok(faces > 50, 'the photos have faces');
  t.ok(worst <= 1e-4, 'scores, boxes and landmarks agree to 1e-4 (measured: identical)');
});

t.test('zip checkpoints with a DataParallel "module." prefix build the same model', async (t) => {
  const dict = await readCheckpoint(WEIGHTS);
  const specs: TensorSpec[] = [...dict]
    .filter(([name]) => !name.endsWith('num_batches_tracked'))
    .map(([name, tensor]) => ({ name: `module.${name}`, shape: tensor.shape, values: tensor.toFloat32() }));
  const fromZip = await convertCheckpointBytes(await zipCheckpoint(specs), 'prefixed.pth');
  const fromLegacy = await convertCheckpointBytes(legacyCheckpoint(specs), 'prefixed-legacy.pth');
  const reference = decodeModel(fs.readFileSync(built)).graph!.initializer!;
  for (const converted of [fromZip, fromLegacy]) {
    const inits = decodeModel(converted.onnx).graph!.initializer!;
    t.equal(inits.length, reference.length);
    t.ok(
      inits.every((init, i) => Buffer.compare(Buffer.from(init.rawData!), Buffer.from(reference[i]!.rawData!)) === 0),
      'identical weights',
    );
  }
});

t.test('weights of another network or with missing parameters are CHECKPOINT_INVALID, saying why', async (t) => {
  const dict = await readCheckpoint(WEIGHTS);
  const specs: TensorSpec[] = [...dict].map(([name, tensor]) => ({
    name,
    shape: tensor.shape,
    values: tensor.toFloat32(),
  }));
  const bytes = legacyCheckpoint(specs);
  await t.rejects(
    convertCheckpointBytes(bytes, 'mnet.pth', { architecture: 'resnet50' }),
    { code: 'CHECKPOINT_INVALID', message: /resnet50.*body\.conv1\.weight.*mobilenet0\.25/ },
    'wrong --arch',
  );
  await t.rejects(
    convertCheckpointBytes(
      legacyCheckpoint(specs.filter((s) => s.name !== 'ssh2.conv5X5_2.1.running_var')),
      'holes.pth',
    ),
    { code: 'CHECKPOINT_INVALID', message: /ssh2\.conv5X5_2\.1\.running_var/ },
    'a missing parameter is named',
  );
  await t.rejects(
    convertCheckpointBytes(
      legacyCheckpoint([...specs, { name: 'extra.weight', shape: [1], values: new Float32Array(1) }]),
      'extra.pth',
    ),
    { code: 'CHECKPOINT_INVALID', message: /unexpected parameters extra\.weight/ },
    'an unexpected parameter is named',
  );
  const bad = specs.map((s) => (s.name === 'fpn.merge1.0.weight' ? { ...s, shape: [64, 64, 1, 9] } : s));
  await t.rejects(
    convertCheckpointBytes(legacyCheckpoint(bad), 'shape.pth'),
    { code: 'CHECKPOINT_INVALID' },
    'a wrong shape',
  );
  await t.rejects(
    convertCheckpointBytes(
      legacyCheckpoint(specs.slice(0, 3).map((s) => ({ ...s, name: `x.${s.name}` }))),
      'other.pth',
    ),
    { code: 'CHECKPOINT_INVALID', message: /not a biubug6 RetinaFace/ },
    'not RetinaFace at all',
  );
});
