// The TensorRT backend's JS side without TensorRT: the engine profile, the exact ONNX bytes each precision builds
// from, its batch stages over a stand-in session, and the addon's session opening on its native thread (failure
// paths, which are all this machine allows).
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { binding, FACE_FLOATS, type RawPixels } from '../lib/binding';
import { decodeModel } from '../lib/models/onnx/graph-builder';
import { engineProfile, onnxForPrecision, TensorRtBackend } from '../lib/backends/tensorrt';
import type { BatchEvent } from '../lib/stats';
import { MODEL_DYNAMIC } from './helpers/shared';

const FAKE_LAYERS = path.resolve(__dirname, '../build/trt-test-layers');
const FLOAT16 = 10;

t.test('engine profiles', async (t) => {
  t.same(engineProfile({ width: 640, height: 480 }, 8), {
    maxBatch: 8,
    optBatch: 8,
    min: { width: 640, height: 480 },
    opt: { width: 640, height: 480 },
    max: { width: 640, height: 480 },
  });
  t.same(engineProfile('original', 8), {
    maxBatch: 1,
    optBatch: 1,
    min: { width: 16, height: 16 },
    opt: { width: 640, height: 640 },
    max: { width: 1920, height: 1920 },
  });
  t.same(engineProfile('original', 1, { width: 512, height: 2048 }).opt, { width: 512, height: 640 });
});

t.test('the ONNX each precision builds from', async (t) => {
  const original = fs.readFileSync(MODEL_DYNAMIC);
  const fp32 = await onnxForPrecision({ model: MODEL_DYNAMIC, precision: 'fp32' });
  t.ok(Buffer.from(fp32).equals(original), 'fp32: the model as is');

  const fp16 = await onnxForPrecision({ model: MODEL_DYNAMIC });
  const model = decodeModel(fp16);
  const initializers = model.graph?.initializer ?? [];
  t.ok(initializers.length > 0);
  t.ok(
    initializers.filter((i) => i.dataType === FLOAT16).length > initializers.length / 2,
    'fp16 (default): weights in half',
  );
  t.equal(model.graph?.input?.[0]?.type?.tensorType?.elemType, 1, 'the input stays float32');
  for (const output of model.graph?.output ?? [])
    t.equal(output.type?.tensorType?.elemType, 1, `${output.name} stays float32`);
  const again = await onnxForPrecision({ model: MODEL_DYNAMIC, precision: 'fp16' });
  t.ok(Buffer.from(again).equals(Buffer.from(fp16)), 'deterministic, so the engine cache key is stable');

  const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-trt-onnx-'));
  t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
  const halfFile = path.join(tmp, 'half.onnx');
  fs.writeFileSync(halfFile, fp16);
  t.ok(
    Buffer.from(await onnxForPrecision({ model: halfFile })).equals(Buffer.from(fp16)),
    'an FP16 model is used as is',
  );
  t.ok(Buffer.from(await onnxForPrecision({ model: MODEL_DYNAMIC, fp16Model: halfFile })).equals(Buffer.from(fp16)));

  const missing = await onnxForPrecision({ model: path.join(tmp, 'nope.onnx') }).catch((e: unknown) => e);
  t.equal((missing as { code?: string }).code, 'MODEL_NOT_FOUND');
  const junk = path.join(tmp, 'junk.onnx');
  fs.writeFileSync(junk, 'not a protobuf at all');
  t.equal(
    ((await onnxForPrecision({ model: junk }).catch((e: unknown) => e)) as { code?: string }).code,
    'MODEL_INVALID',
  );
});

t.test("batch stages over a session: the live slots' pixels in, their faces out, every run observed", async (t) => {
  const detects: { images: number[]; canvas: unknown }[] = [];
  const size = { width: 64, height: 64 };
  const session = {
    info: { profile: { maxBatch: 4, optBatch: 4, min: size, opt: size, max: size } },
    // Image i of a batch gets i faces, each record filled with the image's width.
    async detect(images: RawPixels[], canvas: unknown) {
      detects.push({ images: images.map((image) => image.width), canvas });
      const counts = Int32Array.from(images, (_, i) => i);
      const faces = new Float32Array(
        images.flatMap((image, i) => new Array<number>(i * FACE_FLOATS).fill(image.width)),
      );
      return { faces, counts };
    },
    async close() {},
  };
  // The constructor is private: load() needs TensorRT; the session is all the stages use.
  const backend = new (TensorRtBackend as unknown as new (s: unknown, info: unknown) => TensorRtBackend)(
    session,
    session.info,
  );
  t.same(backend.shape, { fixedSize: size });
  t.equal(backend.maxBatch, 4);
  let started = 0;
  const finished: BatchEvent[] = [];
  const stages = backend.batchStages({
    inputSize: size,
    maxBatch: 4,
    concurrentBatches: 2,
    postprocess: { scoreThreshold: 0.5, nmsThreshold: 0.4, preNmsTopK: 100, maxFaces: 10, clip: true },
    observer: { runStarted: (images) => (started += images), runFinished: (event) => finished.push(event) },
  });
  const pixels = (width: number): RawPixels => ({ data: new Uint8Array(width * 8 * 3), width, height: 8, channels: 3 });
  const context = stages.open();
  const staged = await Promise.all([stages.stage(pixels(10), context, 0), stages.stage(pixels(20), context, 2)]);
  const results = await stages.run([staged[0], undefined, staged[1]], context);
  stages.close(context);
  t.same(
    detects,
    [{ images: [10, 20], canvas: size }],
    'one detect call with the live images, letterboxed to the input size',
  );
  t.equal(results.length, 3);
  t.equal(results[1], undefined, 'nothing for the empty slot');
  t.same(results[0]?.faces, []);
  t.same(
    results[2]?.faces.map((face) => face.score),
    [20],
  );
  t.equal(started, 2);
  t.same(
    finished.map((event) => event.size),
    [2],
  );
  await backend.close();
  await t.rejects(
    backend.detect([pixels(10)], size, {
      scoreThreshold: 0.5,
      nmsThreshold: 0.4,
      preNmsTopK: 100,
      maxFaces: 10,
      clip: true,
    }),
    { code: 'DETECTOR_CLOSED' },
  );
});

interface OpenError {
  code?: string;
  message: string;
}
type Open = (options: object, onEvent?: (event: unknown) => void) => Promise<unknown>;

t.test('opening a session on a machine without a usable GPU fails with a typed error', async (t) => {
  const open = (binding() as unknown as { trtOpen?: Open }).trtOpen;
  if (!open) {
    t.comment('this addon was built without CUDA: no TensorRT sessions');
    return;
  }
  const options = {
    onnx: new Uint8Array(fs.readFileSync(MODEL_DYNAMIC)),
    precision: 'fp32',
    profile: {
      maxBatch: 2,
      optBatch: 2,
      min: { width: 64, height: 64 },
      opt: { width: 64, height: 64 },
      max: { width: 64, height: 64 },
    },
    workspaceBytes: 2 ** 26,
    cacheDir: fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-trt-cache-')),
    streams: 2,
    preNmsTopK: 100,
    maxFaces: 10,
    pinnedSlotBytes: 2 ** 20,
    logSeverity: 2,
  };
  t.teardown(() => fs.rmSync(options.cacheDir, { recursive: true, force: true }));

  // Argument errors reject the promise; nothing is started.
  const bad = (await open({ ...options, precision: 'bf16' }).catch((e: unknown) => e)) as OpenError;
  t.equal(bad.code, 'INVALID_ARGUMENT');
  t.match(bad.message, /precision must be 'fp16', 'fp32' or 'int8', got 'bf16'/);

  // No layer in the folder: the opener thread finds nothing and rejects through the thread-safe function.
  const emptyDir = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-trt-layers-'));
  t.teardown(() => fs.rmSync(emptyDir, { recursive: true, force: true }));
  const noLayer = (await open({ ...options, layerDir: emptyDir }).catch((e: unknown) => e)) as OpenError;
  t.equal(noLayer.code, 'BACKEND_UNAVAILABLE');
  t.match(noLayer.message, /TensorRT cannot run here/);
  // int8 passes the argument checks as well and gets as far.
  const int8 = (await open({ ...options, precision: 'int8', layerDir: emptyDir }).catch(
    (e: unknown) => e,
  )) as OpenError;
  t.equal(int8.code, 'BACKEND_UNAVAILABLE');
  t.match(int8.message, /TensorRT cannot run here/);

  // A layer that loads (the fake one): the library side is settled, so the session names the driver or GPU.
  const fakeLayers = path.join(FAKE_LAYERS, 'mixed');
  if (!fs.existsSync(path.join(fakeLayers, 'libretinaface_trt10.so'))) return;
  const events: unknown[] = [];
  const noGpu = (await open({ ...options, layerDir: fakeLayers }, (e) => events.push(e)).catch(
    (e: unknown) => e,
  )) as OpenError;
  if (noGpu.code === undefined) {
    t.comment('a GPU is present: the fake layer opened a session; closing it');
    await (noGpu as unknown as { close(): Promise<void> }).close();
    return;
  }
  t.equal(noGpu.code, 'BACKEND_UNAVAILABLE');
  t.match(noGpu.message, /no NVIDIA driver|no CUDA GPU/);
  t.notMatch(noGpu.message, /libnvinfer/);
  t.same(events, [], 'no engine events: nothing was built');
  t.same(fs.readdirSync(options.cacheDir), [], 'nothing written to the cache');
});
