// Where the addon's work runs: letterboxing on its own thread (not libuv's pool, which sharp needs for decoding),
// decode + NMS synchronously, and a worker thread's copy of the addon torn down cleanly with its environment.
import crypto from 'node:crypto';
import path from 'node:path';
import { Worker } from 'node:worker_threads';
import t from 'tap';
import { binding, type RawPixels } from '../lib/binding';

function gradient(width: number, height: number): RawPixels {
  const data = new Uint8Array(width * height * 3);
  for (let i = 0; i < data.length; i++) data[i] = (i * 7) & 255;
  return { data, width, height, channels: 3 };
}

t.test('preprocess completes while every libuv pool thread is busy', async (t) => {
  // Occupy all pool threads (4 unless UV_THREADPOOL_SIZE says otherwise) for a while.
  const poolSize = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
  let poolDone = 0;
  const blockers = Array.from(
    { length: poolSize },
    () =>
      new Promise<void>((resolve, reject) => {
        crypto.pbkdf2('password', 'salt', 2_000_000, 32, 'sha256', (error) => {
          poolDone++;
          if (error) reject(error);
          else resolve();
        });
      }),
  );
  const out = new Float32Array(3 * 320 * 320);
  const [letterbox] = await binding().preprocess([gradient(640, 480)], { width: 320, height: 320 }, out);
  t.equal(poolDone, 0, 'the letterbox finished before any pool task did');
  t.same(letterbox, {
    sourceWidth: 640,
    sourceHeight: 480,
    inputWidth: 320,
    inputHeight: 320,
    resizedWidth: 320,
    resizedHeight: 240,
    scale: 0.5,
  });
  t.ok(
    out.subarray(0, 320 * 240).some((v) => v !== 0),
    'the image rows were written',
  );
  t.ok(
    out.subarray(320 * 240, 320 * 320).every((v) => v === 0),
    'the padding is the mean colour (0)',
  );
  await Promise.all(blockers);
});

t.test('postprocess returns its result synchronously, and throws typed errors synchronously', async (t) => {
  const n = (8 * 8 + 4 * 4 + 2 * 2) * 2; // a 64x64 input: strides 8, 16 and 32, two anchors per cell
  const outputs = { loc: new Float32Array(n * 4), conf: new Float32Array(n * 2), landms: new Float32Array(n * 10) };
  const box = {
    sourceWidth: 64,
    sourceHeight: 64,
    inputWidth: 64,
    inputHeight: 64,
    resizedWidth: 64,
    resizedHeight: 64,
    scale: 1,
  };
  const options = { scoreThreshold: 0.5, nmsThreshold: 0.4, preNmsTopK: 0, maxFaces: 0, clip: false };
  const result = binding().postprocess(outputs, [box], options);
  t.notOk(result instanceof Promise, 'not a promise');
  t.same(Array.from(result.counts), [0], 'a blank output has no faces');
  t.throws(() => binding().postprocess({ ...outputs, conf: new Float32Array(3) }, [box], options), {
    code: 'MODEL_OUTPUT_MISMATCH',
  });
  t.throws(() => binding().postprocess(outputs, [], options), { code: 'INVALID_ARGUMENT' });
});

t.test('a worker thread letterboxes with its own job thread and exits cleanly', async (t) => {
  const script = `
    const { parentPort } = require('node:worker_threads');
    const nodeGypBuild = require('node-gyp-build');
    const addon = nodeGypBuild(${JSON.stringify(path.resolve(__dirname, '..'))});
    const image = { data: new Uint8Array(200 * 100 * 3).fill(200), width: 200, height: 100, channels: 3 };
    const out = new Float32Array(3 * 64 * 64);
    setInterval(() => {}, 1000); // only terminate() ends this worker
    addon.preprocess([image], { width: 64, height: 64 }, out).then((boxes) => {
      // Leave large letterboxes running and queued: the environment's cleanup must cope with them.
      const big = { data: new Uint8Array(4000 * 3000 * 3), width: 4000, height: 3000, channels: 3 };
      for (let i = 0; i < 4; i++) addon.preprocess([big], { width: 2048, height: 2048 }, new Float32Array(3 * 2048 * 2048));
      parentPort.postMessage({ resized: [boxes[0].resizedWidth, boxes[0].resizedHeight], first: out[0] });
    });`;
  const worker = new Worker(script, { eval: true });
  const message = await new Promise<{ resized: number[]; first: number }>((resolve, reject) => {
    worker.once('message', resolve);
    worker.once('error', reject);
  });
  t.same(message.resized, [64, 32]);
  t.equal(message.first, 200 - 104, 'B plane: 200 minus the blue mean');
  t.equal(await worker.terminate(), 1, 'terminated (exit code 1 is what terminate() reports)');
  // The main thread's addon still works after the worker's copy was torn down.
  const out = new Float32Array(3 * 32 * 32);
  const [box] = await binding().preprocess([gradient(32, 32)], { width: 32, height: 32 }, out);
  t.equal(box!.scale, 1);
});
