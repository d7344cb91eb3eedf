// INT8 QDQ models built in Node (issue 20): the quantized model loads in onnxruntime-node and passes the Detector's
// model checks, finds the FP32 model's faces on the shared photos, calibration is deterministic, and a calibration
// set that is empty or holds an unreadable image is a typed error.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { Detector, type Face } from '../lib';
import { RetinaFaceError } from '../lib/errors';
import { onnxForPrecision } from '../lib/backends/tensorrt';
import { int8ModelPathFor } from '../lib/models/int8-model';
import { decodeModel } from '../lib/models/onnx/graph-builder';
import { calibrateModel, quantizeModelFile, toQdq } from '../lib/models/onnx/quantize/quantize-model';
import { MODEL_DYNAMIC, MODEL_FIXED_640, PHOTOS, WIDER_IMAGES } from './helpers/shared';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-quantize-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const int8 = path.join(tmp, 'mnet025.int8.onnx');

function iou(a: Face['box'], b: Face['box']): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])),
    h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

t.before(async () => {
  // 12 WIDER images at 640 (the CLI default is 200): enough for the agreement checked below.
  await quantizeModelFile(MODEL_DYNAMIC, int8, {
    calibrate: WIDER_IMAGES,
    images: 12,
    method: 'percentile',
    keepFloat: 23,
    activations: 'int8',
  });
});

t.test(
  'the QDQ model (int8 symmetric, TensorRT style): int8 weights behind per-channel DequantizeLinear, Q/DQ on activations',
  async (t) => {
    const model = decodeModel(fs.readFileSync(int8));
    const ops = model.graph!.node!.map((n) => n.opType);
    t.equal(ops.filter((o) => o === 'QuantizeLinear').length, 96 - 23, 'every activation but the input and stage 1');
    const producer = new Map(model.graph!.node!.flatMap((n) => n.output!.map((o) => [o, n] as const)));
    const initializer = new Map(model.graph!.initializer!.map((i) => [i.name!, i]));
    const convs = model.graph!.node!.filter((n) => n.opType === 'Conv');
    t.equal(convs.length, 56);
    let quantizedInput = 0;
    for (const conv of convs) {
      if (producer.get(conv.input![0]!)?.opType !== 'DequantizeLinear') {
        // Input kept float: its weights are the int8-rounded values stored as float32 (no DequantizeLinear per run).
        t.equal(initializer.get(conv.input![1]!)?.dataType, 1, `${conv.name}: float input, int8-rounded float weight`);
        t.match(conv.input![1], /_int8_rounded$/);
        continue;
      }
      const weight = producer.get(conv.input![1]!);
      t.equal(weight?.opType, 'DequantizeLinear', `${conv.name}: weight dequantized`);
      t.equal(initializer.get(weight!.input![0]!)?.dataType, 3, 'int8 weight');
      t.equal(Number(weight!.attribute!.find((a) => a.name === 'axis')?.i), 0, 'per output channel');
      quantizedInput++;
      const bias = producer.get(conv.input![2]!);
      t.equal(initializer.get(bias!.input![0]!)?.dataType, 6, `${conv.name}: int32 bias`);
    }
    t.equal(quantizedInput, 56 - 13, 'all but stage 1 (11 Convs) and the two Convs reading its output take int8 input');
    const meta = Object.fromEntries(model.metadataProps!.map((p) => [p.key, p.value]));
    t.equal(meta.calibration_method, 'percentile');
    t.equal(meta.calibration_images, '12');
  },
);

t.test("loads through Detector.create (model checks, blank probe) and precision 'int8' finds it", async (t) => {
  const direct = await Detector.create({ model: int8, backend: 'cpu' });
  t.equal(direct.modelPath, int8);
  await direct.close();
  const float = path.join(tmp, 'mnet025.onnx');
  fs.copyFileSync(MODEL_DYNAMIC, float);
  t.equal(int8ModelPathFor(float), int8);
  const derived = await Detector.create({ model: float, backend: 'cpu', precision: 'int8' });
  t.equal(derived.modelPath, int8, 'model.onnx -> model.int8.onnx');
  await derived.close();
  await t.rejects(Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', precision: 'int8' }), {
    code: 'MODEL_NOT_FOUND',
  });
  // TensorRT takes int8 now: what stops it here is the missing TensorRT/driver, not the precision.
  const trt = (await Detector.create({ model: int8, backend: 'tensorrt', precision: 'int8' }).catch(
    (e: unknown) => e,
  )) as RetinaFaceError;
  t.equal(trt.code, 'BACKEND_UNAVAILABLE');
  t.match(trt.message, /TensorRT cannot run here/);
  t.notMatch(trt.message, /pending|precision 'int8'/);
});

t.test("precision 'int8' on TensorRT builds from the QDQ model's own bytes; a float model is refused", async (t) => {
  const bytes = await onnxForPrecision({ model: int8, precision: 'int8' });
  t.ok(Buffer.from(bytes).equals(fs.readFileSync(int8)), 'the QDQ file as is (its sha256 keys the engine)');
  const float = (await onnxForPrecision({ model: MODEL_DYNAMIC, precision: 'int8' }).catch(
    (e: unknown) => e,
  )) as RetinaFaceError;
  t.equal(float.code, 'MODEL_INVALID');
  t.match(float.message, /needs an INT8 QDQ model; .* has no QuantizeLinear\/DequantizeLinear nodes/);
});

t.test('finds the FP32 faces on the shared photos', async (t) => {
  // Tolerance: every FP32 face scoring >= 0.9 has an INT8 face at IoU >= 0.6, and all but 10% of them at >= 0.8;
  // the INT8 face count is within 10% of the FP32 count (score > 0.5).
  const fp32 = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu' });
  const q = await Detector.create({ model: int8, backend: 'cpu' });
  let strong = 0,
    close = 0,
    total = 0,
    totalInt8 = 0;
  for (const file of fs.readdirSync(PHOTOS).filter((f) => /\.(jpg|png)$/.test(f))) {
    const [a, b] = await Promise.all([fp32.detect(path.join(PHOTOS, file)), q.detect(path.join(PHOTOS, file))]);
    total += a.length;
    totalInt8 += b.length;
    for (const face of a.filter((f) => f.score >= 0.9)) {
      const best = Math.max(0, ...b.map((g) => iou(face.box, g.box)));
      t.ok(
        best >= 0.6,
        `${file}: a face at [${face.box.map((v) => v.toFixed(0)).join(', ')}] is found (IoU ${best.toFixed(2)})`,
      );
      strong++;
      if (best >= 0.8) close++;
    }
  }
  t.ok(close >= 0.9 * strong, `${close} of ${strong} confident faces at IoU >= 0.8`);
  t.ok(Math.abs(totalInt8 - total) <= 0.1 * total, `${totalInt8} INT8 faces vs ${total} FP32`);
  await fp32.close();
  await q.close();
});

t.test('the default (uint8 activations) writes uint8 zero points and loads', async (t) => {
  const file = path.join(tmp, 'u8.int8.onnx');
  await quantizeModelFile(MODEL_DYNAMIC, file, { calibrate: PHOTOS, images: 2, inputSize: 256 });
  const model = decodeModel(fs.readFileSync(file));
  const initializer = new Map(model.graph!.initializer!.map((i) => [i.name!, i]));
  const q = model.graph!.node!.filter((n) => n.opType === 'QuantizeLinear');
  t.equal(q.length, 96 - 13);
  t.ok(
    q.every((n) => initializer.get(n.input![2]!)?.dataType === 2),
    'uint8 zero points',
  );
  const detector = await Detector.create({ model: file, backend: 'cpu' });
  t.ok((await detector.detect(path.join(PHOTOS, 'fr_two_people.jpg'))).length >= 1);
  await detector.close();
});

t.test('calibration is deterministic', async (t) => {
  const bytes = fs.readFileSync(MODEL_DYNAMIC);
  const options = { calibrate: PHOTOS, images: 2, inputSize: 256 };
  const [a, b] = [
    toQdq(await calibrateModel(bytes, options), 'entropy'),
    toQdq(await calibrateModel(bytes, options), 'entropy'),
  ];
  t.ok(Buffer.from(a).equals(Buffer.from(b)), 'same images, same bytes');
});

t.test('typed errors', async (t) => {
  const bytes = fs.readFileSync(MODEL_DYNAMIC);
  const empty = fs.mkdtempSync(path.join(tmp, 'empty-'));
  fs.writeFileSync(path.join(empty, 'notes.txt'), 'no images here');
  await t.rejects(calibrateModel(bytes, { calibrate: empty }), {
    code: 'CALIBRATION_FAILED',
    message: /no calibration images/,
  });
  await t.rejects(calibrateModel(bytes, { calibrate: path.join(tmp, 'missing') }), { code: 'CALIBRATION_FAILED' });
  const broken = fs.mkdtempSync(path.join(tmp, 'broken-'));
  fs.writeFileSync(
    path.join(broken, 'a.jpg'),
    fs.readFileSync(path.join(PHOTOS, 'fr_obama_small.jpg')).subarray(0, 200),
  );
  const error = await calibrateModel(bytes, { calibrate: broken, inputSize: 256 }).catch((e: unknown) => e);
  t.ok(error instanceof RetinaFaceError);
  t.match(error, { code: 'CALIBRATION_FAILED', message: /a\.jpg/ });
  await t.rejects(calibrateModel(fs.readFileSync(MODEL_FIXED_640), { calibrate: PHOTOS, images: 1 }), {
    code: 'MODEL_INVALID',
    message: /opset is 11/,
  });
  await t.rejects(calibrateModel(bytes, { calibrate: PHOTOS, method: 'kl' as never }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(calibrateModel(bytes, { calibrate: PHOTOS, images: 0 }), { code: 'INVALID_ARGUMENT' });
});

t.test(
  'CLI: retinaface quantize writes the model and prints its path; an empty folder exits 2 with the code',
  async (t) => {
    const cli = path.resolve(__dirname, '../dist/lib/cli/main.js');
    const out = path.join(tmp, 'cli.int8.onnx');
    const ok = spawnSync(
      process.execPath,
      [
        cli,
        'quantize',
        MODEL_DYNAMIC,
        '--calibrate',
        PHOTOS,
        '--images',
        '1',
        '--input-size',
        '128',
        '--method',
        'minmax',
        '-o',
        out,
      ],
      { encoding: 'utf8' },
    );
    t.equal(ok.status, 0, ok.stderr);
    t.equal(ok.stdout.trim(), out);
    t.match(ok.stderr, /minmax ranges from 1 images/);
    const meta = Object.fromEntries(decodeModel(fs.readFileSync(out)).metadataProps!.map((p) => [p.key, p.value]));
    t.same([meta.calibration_method, meta.float_activations], ['minmax', '13']);
    const empty = fs.mkdtempSync(path.join(tmp, 'cli-empty-'));
    const failed = spawnSync(
      process.execPath,
      [cli, 'quantize', MODEL_DYNAMIC, '--calibrate', empty, '-o', path.join(tmp, 'never.onnx')],
      { encoding: 'utf8' },
    );
    t.equal(failed.status, 2);
    t.match(failed.stderr, /CALIBRATION_FAILED/);
    t.notOk(fs.existsSync(path.join(tmp, 'never.onnx')), 'nothing written');
  },
);
