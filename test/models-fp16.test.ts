// FP16 models (issue 8, acceptance 5): the builder's FP16 graph and the float32 -> float16 rewrite of any RetinaFace
// ONNX hold the FP32 weights rounded to half, keep a float32 interface, load and run in onnxruntime-node, and find
// the same faces.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { onnx } from 'onnx-proto';
import * as ort from 'onnxruntime-node';
import t from 'tap';
import { Detector } from '../lib';
import { convertCheckpointBytes } from '../lib/models/convert';
import { rewriteToFloat16, tensorFloats } from '../lib/models/onnx/fp16-rewrite';
import { decodeModel, encodeModel } from '../lib/models/onnx/graph-builder';
import { halfToFloat } from '../lib/models/onnx/half';
import { iou, PHOTOS, readF32, REFERENCE, SHARED } from './helpers/shared';

const DIR = path.join(SHARED, 'models/retinaface-mnet025');
const FLOAT = 1;
const FLOAT16 = 10;
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-fp16-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Is `bits` the float16 nearest to `value` (ties to the even pattern)? Checked against both neighbours. */
function isNearestHalf(value: number, bits: number): boolean {
  const here = Math.abs(halfToFloat(bits) - value);
  for (const neighbour of [bits - 1, bits + 1]) {
    if ((neighbour & 0x7fff) > 0x7bff || neighbour < 0 || (neighbour ^ bits) & 0x8000) continue; // same sign, finite
    const there = Math.abs(halfToFloat(neighbour) - value);
    if (there < here || (there === here && (neighbour & 1) === 0)) return false;
  }
  // Across zero: +0 / -0 are both fine for tiny values.
  return here <= Math.abs(value) || Math.abs(value) < 2 ** -24;
}

function halfBits(tensor: onnx.ITensorProto): Uint16Array {
  const raw = new Uint8Array(tensor.rawData!);
  return new Uint16Array(raw.buffer, 0, raw.length / 2);
}

let fp32: Uint8Array;
let fp16: Uint8Array;
t.before(async () => {
  const weights = fs.readFileSync(path.join(DIR, 'mobilenet0.25_Final.pth'));
  fp32 = (await convertCheckpointBytes(weights, 'mobilenet0.25_Final.pth')).onnx;
  fp16 = (await convertCheckpointBytes(weights, 'mobilenet0.25_Final.pth', { precision: 'fp16' })).onnx;
});

t.test(
  'built FP16 weights are the FP32 weights rounded to half; the rewrite of the FP32 graph gives the same',
  async (t) => {
    const single = decodeModel(fp32).graph!;
    const half = decodeModel(fp16).graph!;
    const rewritten = rewriteToFloat16(decodeModel(fp32)).graph!;
    t.equal(half.initializer!.filter((i) => i.dataType === FLOAT16).length, 112, 'all 112 weights are float16');
    let checked = 0;
    let wrong = 0;
    const disagree: string[] = [];
    for (const init of single.initializer!.filter((i) => i.dataType === FLOAT)) {
      const values = tensorFloats(init);
      const ours = half.initializer!.find((i) => i.name === init.name)!;
      const theirs = rewritten.initializer!.find((i) => i.name === init.name)!;
      const bits = halfBits(ours);
      for (let i = 0; i < values.length; i++) if (!isNearestHalf(values[i]!, bits[i]!)) wrong++;
      checked += values.length;
      if (Buffer.compare(Buffer.from(theirs.rawData!), Buffer.from(ours.rawData!)) !== 0) disagree.push(init.name!);
    }
    t.equal(wrong, 0, `${checked} weights rounded to the nearest half`);
    t.same(disagree, [], 'the builder and the rewrite store the same half weights');
    for (const graph of [half, rewritten]) {
      t.same(
        graph.input!.map((i) => i.type!.tensorType!.elemType),
        [FLOAT],
        'float32 input',
      );
      t.same(
        graph.output!.map((o) => o.type!.tensorType!.elemType),
        [FLOAT, FLOAT, FLOAT],
        'float32 outputs',
      );
      const casts = graph.node!.filter((n) => n.opType === 'Cast').map((n) => Number(n.attribute![0]!.i));
      t.same(
        casts.sort(),
        [FLOAT, FLOAT, FLOAT, FLOAT16],
        'one Cast in, three out: nothing else leaves half precision',
      );
    }
  },
);

t.test(
  'every shared RetinaFace ONNX rewrites to an FP16 twin that loads and runs; Resize scales stay float32',
  async (t) => {
    const input = readF32(path.join(REFERENCE, 'raw_dynamic/random_1x3x517x389.input.f32'));
    const models: [string, Uint8Array, number[]][] = [
      ['built FP16', fp16, [1, 3, 517, 389]],
      ['dynamic op13', fs.readFileSync(path.join(DIR, 'retinaface_mnet025_dynamic_op13.onnx')), [1, 3, 517, 389]],
      ['dynamic op11', fs.readFileSync(path.join(DIR, 'retinaface_mnet025_dynamic_op11.onnx')), [1, 3, 517, 389]],
      ['fixed 640 op11', fs.readFileSync(path.join(DIR, 'retinaface_mnet025_640_op11.onnx')), [1, 3, 640, 640]],
      ['mingo99 op14', fs.readFileSync(path.join(DIR, 'third_party/FaceDetector_mingo99_op14.onnx')), [1, 3, 640, 640]],
    ];
    const reference = await ort.InferenceSession.create(fp32);
    t.teardown(() => reference.release());
    for (const [what, bytes, dims] of models) {
      const original = decodeModel(bytes);
      const half = what === 'built FP16' ? bytes : encodeModel(rewriteToFloat16(original));
      const graph = decodeModel(half).graph!;
      for (const resize of graph.node!.filter((n) => n.opType === 'Resize')) {
        for (const name of resize.input!.slice(1, 3).filter(Boolean)) {
          const source =
            graph.initializer!.find((i) => i.name === name) ??
            graph.node!.find((n) => n.output!.includes(name) && n.opType === 'Constant')?.attribute?.[0]?.t;
          if (source) t.equal(source.dataType, FLOAT, `${what}: Resize input ${name} kept float32`);
        }
      }
      const session = await ort.InferenceSession.create(half);
      const size = dims.reduce((a, b) => a * b, 1);
      const x = size === input.length ? input : new Float32Array(size).map((_, i) => ((i * 7919) % 255) - 117);
      const feed = (s: ort.InferenceSession) => ({ [s.inputNames[0]!]: new ort.Tensor('float32', x, dims) });
      const out = await session.run(feed(session));
      const ref = await reference.run({ input0: new ort.Tensor('float32', x, dims) });
      // Outputs by head (names differ between exports): loc 4, conf 2, landms 10 values per prior.
      const byWidth = (r: ort.InferenceSession.OnnxValueMapType): Record<number, Float32Array> =>
        Object.fromEntries(Object.values(r).map((v) => [v.dims[2], v.data as Float32Array]));
      const a = byWidth(out);
      const b = byWidth(ref);
      const diffs = [4, 2, 10].map((w) =>
        a[w]!.reduce((m: number, v: number, i: number) => Math.max(m, Math.abs(v - b[w]![i]!)), 0),
      );
      t.comment(
        `${what}: FP16 vs FP32 max difference loc ${diffs[0]!.toExponential(2)}, conf ${diffs[1]!.toExponential(2)}, landms ${diffs[2]!.toExponential(2)}`,
      );
      t.ok(
        Object.values(out).every((v) => v.type === 'float32'),
        `${what}: loads, runs, float32 outputs`,
      );
      t.ok(diffs[1]! < 5e-3 && diffs[0]! < 0.1 && diffs[2]! < 0.25, `${what}: close to the FP32 model`);
      await session.release();
    }
  },
);

t.test('the Detector runs the FP16 model on the CPU and finds the same faces', async (t) => {
  const file = path.join(tmp, 'retinaface_fp16.onnx');
  fs.writeFileSync(file, fp16);
  const half = await Detector.create({ model: file, backend: 'cpu' });
  const single = await Detector.create({
    model: path.join(DIR, 'retinaface_mnet025_dynamic_op13.onnx'),
    backend: 'cpu',
  });
  t.teardown(async () => {
    await half.close();
    await single.close();
  });
  for (const photo of ['fr_two_people.jpg', 'fr_obama_and_biden.jpg', 'dlib_voc_2008_002470.jpg']) {
    const [a, b] = await Promise.all([half.detect(path.join(PHOTOS, photo)), single.detect(path.join(PHOTOS, photo))]);
    const clear = b.filter((f) => f.score > 0.6);
    const matched = clear.filter((f) => a.some((g) => iou(f.box, g.box) > 0.98 && Math.abs(f.score - g.score) < 0.01));
    t.equal(matched.length, clear.length, `${photo}: all ${clear.length} confident faces found again`);
  }
});
