// Issue 15, the library's input path: what a hostile or careless caller can do to a detector through detect()'s
// arguments (pixels changed or freed after the call, bad call options, paths that never end, huge images, corrupt
// data, lifecycle abuse) must end in a typed error or the right faces, never a crash, hang or memory blow-up.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import sharp from 'sharp';
import t from 'tap';
import { Detector, type Face, RetinaFaceError } from '../lib';
import { binding } from '../lib/binding';
import { PixelBudget } from '../lib/pixel-budget';
import { TensorPool } from '../lib/tensor-pool';
import { MODEL_DYNAMIC, PHOTOS } from './helpers/shared';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-hostile-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const photo = path.join(PHOTOS, 'fr_two_people.jpg');
const jpeg = fs.readFileSync(photo);
const group = path.join(PHOTOS, 'dlib_bald_guys.jpg');

/** Settles `promise` or fails after `ms`: a hang becomes a failed assertion, not a stuck test run. */
function deadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: still pending after ${ms} ms`)), ms);
  });
  return Promise.race([promise, expired]).finally(() => clearTimeout(timer));
}

async function errorOf(promise: Promise<unknown>): Promise<RetinaFaceError | undefined> {
  return promise.then(
    () => undefined,
    (e: unknown) => e as RetinaFaceError,
  );
}

function runChild(script: string, args: string[], nodeFlags: string[] = []) {
  return spawnSync(
    process.execPath,
    [...nodeFlags, '--import', 'tsx', path.join(__dirname, 'helpers', script), ...args],
    {
      // Without tap's NODE_OPTIONS (its process-info loader), so the child's memory is ours alone.
      encoding: 'utf8',
      timeout: 120_000,
      env: { ...process.env, NODE_OPTIONS: '' },
    },
  );
}

async function photoPixels(file: string) {
  const { data, info } = await sharp(file).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  return { data: new Uint8Array(data), width: info.width, height: info.height, channels: 3 as const };
}

t.test('raw pixels are copied at call time: changing them after the call is harmless', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu' });
  t.teardown(() => detector.close());
  const pixels = await photoPixels(photo);
  const expected = await detector.detect(pixels);
  t.equal(expected.length, 2, 'the photo has two faces');

  const mutated = { ...pixels, data: new Uint8Array(pixels.data) };
  const pending = detector.detect(mutated);
  mutated.data.fill(0);
  t.same(await pending, expected, 'zeroing the array right after detect() changes nothing');

  const encoded = Buffer.from(jpeg);
  const pendingEncoded = detector.detect(encoded);
  encoded.fill(0);
  t.same(await pendingEncoded, expected, 'nor does zeroing an encoded Buffer');

  const shared = new Uint8Array(new SharedArrayBuffer(pixels.data.length));
  shared.set(pixels.data);
  t.same(await detector.detect({ ...pixels, data: shared }), expected, 'SharedArrayBuffer pixels are accepted');

  const gone = new Uint8Array(pixels.data);
  structuredClone(gone.buffer, { transfer: [gone.buffer] });
  const detached = await errorOf(detector.detect({ ...pixels, data: gone }));
  t.equal(detached?.code, 'INVALID_ARGUMENT', 'a buffer detached before the call is a typed error');
  t.match(detached?.message, /detached/);
});

t.test('the native letterbox reads arrays on a SharedArrayBuffer', async (t) => {
  const shared = new Uint8Array(new SharedArrayBuffer(64 * 48 * 3 + 5), 5, 64 * 48 * 3).fill(200);
  const plain = new Uint8Array(64 * 48 * 3).fill(200);
  const outShared = new Float32Array(3 * 32 * 32);
  const outPlain = new Float32Array(3 * 32 * 32);
  const canvas = { width: 32, height: 32 };
  const [box] = await binding().preprocess([{ data: shared, width: 64, height: 48, channels: 3 }], canvas, outShared);
  await binding().preprocess([{ data: plain, width: 64, height: 48, channels: 3 }], canvas, outPlain);
  t.equal(box?.resizedHeight, 24);
  t.same(Array.from(outShared), Array.from(outPlain), 'same tensor as from a plain array (the byte offset applied)');
});

t.test('transferring and collecting the caller buffers of queued calls (child process, forced GC)', async (t) => {
  const run = runChild('child-transfer-gc.ts', [photo, '24'], ['--expose-gc']);
  t.comment(run.stdout.trim(), run.stderr.trim().slice(-2000));
  t.equal(run.signal, null, 'no signal (a read of freed memory killed one run with SIGSEGV)');
  t.equal(run.status, 0, 'every call got the faces of an untouched run');
  t.match(run.stdout, /"wrong":0,"faces":2/);
});

t.test('call options are checked before the call takes a queue place', async (t) => {
  const detector = await Detector.create({
    model: MODEL_DYNAMIC,
    backend: 'cpu',
    maxQueue: 2,
    scoreThreshold: 0.5,
    maxFaces: 50,
  });
  t.teardown(() => detector.close());
  const bad: [string, unknown, RegExp][] = [
    ['a signal that is not an AbortSignal', { signal: {} }, /signal/],
    ['a signal with no addEventListener', { signal: { aborted: false } }, /signal/],
    ['null options', null, /options/],
    ['options that are a string', 'fast', /options/],
    ['an unknown option', { treshold: 0.9 }, /unknown/],
    ["a score threshold below the detector's", { scoreThreshold: 0.3 }, /scoreThreshold/],
    ['a score threshold as a string', { scoreThreshold: '0.9' }, /"0\.9" \(string\)/],
    ['a score threshold over 1', { scoreThreshold: 1.5 }, /scoreThreshold/],
    ["maxFaces above the detector's", { maxFaces: 51 }, /maxFaces/],
    ['maxFaces not an integer', { maxFaces: 2.5 }, /maxFaces/],
    ['maxFaces 0 (no cap) over a capped detector', { maxFaces: 0 }, /maxFaces/],
  ];
  for (const [what, options, message] of bad) {
    for (let i = 0; i < 3; i++) {
      const error = await errorOf(detector.detect(photo, options as never));
      if (i === 0) {
        t.type(error, RetinaFaceError, `${what}: a RetinaFaceError`);
        t.equal(error?.code, 'INVALID_ARGUMENT', `${what}: INVALID_ARGUMENT`);
        t.match(error?.message, message, `${what}: the message names it (${error?.message})`);
      }
    }
  }
  t.equal(detector.stats().queueDepth, 0, 'no queue place was leaked');
  t.equal(
    (await Promise.all([detector.detect(photo), detector.detect(photo)])).length,
    2,
    'the queue still takes maxQueue calls',
  );
});

t.test('per-call scoreThreshold and maxFaces give what a detector created with them gives', async (t) => {
  const loose = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', scoreThreshold: 0.02 });
  t.teardown(() => loose.close());
  const all = await loose.detect(group);
  const scores = all.map((f) => f.score).sort((a, b) => a - b);
  t.ok(
    scores.length >= 30 && scores[0]! < 0.1,
    `low-scoring candidates too (${scores.length} faces from ${scores[0]})`,
  );
  // Thresholds exactly at a face's score (float32) drop that face, as the native filter does.
  const cases: [number, number][] = [
    [0.02, 5],
    [0.1, 0],
    [0.5, 0],
    [0.9, 10],
    [scores[3]!, 0],
    [scores[Math.floor(scores.length / 2)]!, 0],
    [0.3, 1],
  ];
  for (const [scoreThreshold, maxFaces] of cases) {
    const strict = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', scoreThreshold, maxFaces });
    const expected: Face[] = await strict.detect(group);
    await strict.close();
    const perCall = await loose.detect(group, { scoreThreshold, ...(maxFaces ? { maxFaces } : {}) });
    t.same(
      perCall,
      expected,
      `scoreThreshold ${scoreThreshold}, maxFaces ${maxFaces}: ${expected.length} faces, identical`,
    );
  }
});

t.test('paths that are not regular files are refused at once; zero-byte files are empty', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu' });
  const fifo = path.join(tmp, 'never.jpg');
  const made = spawnSync('mkfifo', [fifo]);
  t.equal(made.status, 0, 'mkfifo');
  const cases: [string, string, string, RegExp][] = [
    ['a FIFO', fifo, 'INVALID_ARGUMENT', /FIFO/],
    ['a directory', tmp, 'INVALID_ARGUMENT', /directory/],
    ['a character device', '/dev/zero', 'INVALID_ARGUMENT', /character device/],
    [
      'a zero-byte file',
      (fs.writeFileSync(path.join(tmp, 'empty.jpg'), ''), path.join(tmp, 'empty.jpg')),
      'IMAGE_EMPTY',
      /empty/,
    ],
  ];
  for (const [what, file, code, message] of cases) {
    // Four at once: hung reads of a FIFO used to fill libuv's pool, so that close() never resolved.
    const errors = await deadline(
      Promise.all(Array.from({ length: 4 }, () => errorOf(detector.detect(file)))),
      10_000,
      what,
    );
    t.equal(errors[0]?.code, code, `${what}: ${code}`);
    t.match(errors[0]?.message, message, `${what}: ${errors[0]?.message}`);
  }
  t.equal((await detector.detect(photo)).length, 2, 'the detector still works');
  await deadline(detector.close(), 10_000, 'close()');
  t.pass('close() resolved');
});

t.test('aborting while the image is still being read or decoded rejects at once', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', maxInflightPixels: 1_000_000 });
  // A sharp pipeline fed by a stream that has not ended: its header, and so its decode, waits for the stream.
  const stream = new PassThrough();
  const pipeline = sharp();
  stream.pipe(pipeline);
  stream.write(jpeg.subarray(0, 1000));
  const controller = new AbortController();
  const pending = errorOf(detector.detect(pipeline, { signal: controller.signal }));
  setTimeout(() => controller.abort(), 50);
  const error = await deadline(pending, 10_000, 'aborted call');
  t.equal(error?.code, 'ABORTED', 'ABORTED, without waiting for the stream');
  // The abandoned read finishing later must leave the budget as it was: a call that needs all of it still runs.
  stream.end(jpeg.subarray(1000));
  const small = await sharp(photo).resize(1000, 1000, { fit: 'fill' }).jpeg().toBuffer();
  t.equal(
    (await deadline(detector.detect(small), 20_000, 'a call needing the whole budget')).length >= 0,
    true,
    'it ran',
  );
  await deadline(detector.close(), 10_000, 'close()');
  t.pass('close() resolved');
});

t.test(
  'an abort during the decode proper: rejected at once, the budget freed when the decode really ends',
  async (t) => {
    const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu' });
    t.teardown(() => detector.close());
    // White box: the detector's pixel budget shows when the decode has started and when it has let go.
    const budget = (detector as unknown as { budget: PixelBudget }).budget;
    const flat = await sharp({ create: { width: 2000, height: 2000, channels: 3, background: '#7f6f5f' } })
      .png()
      .toBuffer();
    // The caller's own pipeline is part of the decode: a wide median filter makes it take about a second.
    const slow = sharp(flat).median(41);
    const controller = new AbortController();
    const pending = errorOf(detector.detect(slow, { signal: controller.signal }));
    await deadline(
      (async () => {
        while (budget.inUse === 0) await new Promise((resolve) => setTimeout(resolve, 2));
      })(),
      10_000,
      'the decode to start',
    );
    t.equal(budget.inUse, 2000 * 2000, 'the decode holds its pixels');
    controller.abort();
    t.equal((await pending)?.code, 'ABORTED', 'ABORTED');
    t.equal(budget.inUse, 2000 * 2000, 'before the decode has ended');
    await deadline(
      (async () => {
        while (budget.inUse !== 0) await new Promise((resolve) => setTimeout(resolve, 5));
      })(),
      30_000,
      'the budget to be given back',
    );
    t.pass('the abandoned decode gave its pixels back when it ended');
    t.equal((await detector.detect(photo)).length, 2, 'and the detector goes on');
  },
);

t.test('size limits: per side, original-size tensors, and sharp instances checked before decoding', async (t) => {
  const tall = await sharp({ create: { width: 8, height: 70000, channels: 3, background: '#888' } })
    .png()
    .toBuffer();
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', maxPixels: 4_000_000 });
  t.teardown(() => detector.close());
  const tallError = await errorOf(detector.detect(tall));
  t.equal(tallError?.code, 'IMAGE_TOO_LARGE', '8x70000: IMAGE_TOO_LARGE');
  t.match(tallError?.message, /65536/, `names the per-side limit (${tallError?.message})`);
  const tallPixels = { data: new Uint8Array(8 * 70000), width: 8, height: 70000, channels: 1 as const };
  t.equal((await errorOf(detector.detect(tallPixels)))?.code, 'IMAGE_TOO_LARGE', 'raw pixels 8x70000: IMAGE_TOO_LARGE');

  // A PNG header that declares 3000x3000 followed by too little data: only a header check can call it too large.
  const huge = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  const headerOnly = huge.subarray(0, 200);
  for (const [what, input] of [
    ['a Buffer', headerOnly],
    ['a sharp instance', sharp(headerOnly)],
  ] as const) {
    const error = await errorOf(detector.detect(input as never));
    t.equal(error?.code, 'IMAGE_TOO_LARGE', `${what} over maxPixels: IMAGE_TOO_LARGE from its header`);
  }

  const original = await Detector.create({
    model: MODEL_DYNAMIC,
    backend: 'cpu',
    inputSize: 'original',
    maxOriginalPixels: 2_000_000,
  });
  t.teardown(() => original.close());
  const big = await sharp({ create: { width: 2000, height: 1500, channels: 3, background: '#000' } })
    .png()
    .toBuffer();
  const originalError = await errorOf(original.detect(big));
  t.equal(originalError?.code, 'IMAGE_TOO_LARGE', "inputSize 'original' over maxOriginalPixels: IMAGE_TOO_LARGE");
  t.match(originalError?.message, /inputSize 640/, 'the message suggests a fixed input size');
  t.equal((await original.detect(photo)).length, 2, 'smaller images still run at their own size');
});

t.test('failOn: corrupt entropy-coded data can be refused instead of silently decoded', async (t) => {
  const sos = jpeg.indexOf(Buffer.from([0xff, 0xda]));
  const corrupt = Buffer.from(jpeg);
  corrupt.fill(0, sos + 3000, sos + 200_000);
  const lenient = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu' });
  t.teardown(() => lenient.close());
  const faces = await lenient.detect(corrupt);
  t.ok(faces.length < 2, `by default (failOn 'truncated') the damaged image decodes, losing faces (${faces.length})`);
  const strict = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', failOn: 'warning' });
  t.teardown(() => strict.close());
  const error = await errorOf(strict.detect(corrupt));
  t.equal(error?.code, 'IMAGE_DECODE_FAILED', "failOn 'warning': IMAGE_DECODE_FAILED");
  t.match(error?.message, /Corrupt JPEG data/);
  t.equal((await strict.detect(photo)).length, 2, 'a sound JPEG still decodes');
  t.equal(
    (await errorOf(Detector.create({ model: MODEL_DYNAMIC, failOn: 'sometimes' as never })))?.code,
    'INVALID_ARGUMENT',
  );
});

t.test('options: strings for numbers, and thread counts past the cores', async (t) => {
  const stringError = await errorOf(Detector.create({ model: MODEL_DYNAMIC, scoreThreshold: '0.5' as never }));
  t.equal(stringError?.code, 'INVALID_ARGUMENT');
  t.match(stringError?.message, /got "0\.5" \(string\)/, `shows the value as a string (${stringError?.message})`);
  const threads = await errorOf(Detector.create({ model: MODEL_DYNAMIC, cpuThreads: os.availableParallelism() + 1 }));
  t.equal(threads?.code, 'INVALID_ARGUMENT', 'cpuThreads above the available cores');
  t.match(threads?.message, /cpuThreads/);
  for (const [name, value] of [
    ['maxInflightPixels', 0],
    ['maxOriginalPixels', -1],
    ['maxInflightPixels', '1e8'],
  ] as const) {
    t.equal(
      (await errorOf(Detector.create({ model: MODEL_DYNAMIC, [name]: value })))?.code,
      'INVALID_ARGUMENT',
      `${name}: ${value}`,
    );
  }
});

t.test('lifecycle: a second close() waits too; detectBatch with a signal adds one listener', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', maxBatch: 8 });
  let settled = false;
  const pending = detector.detect(photo).finally(() => (settled = true));
  const first = detector.close();
  const second = detector.close();
  await second;
  t.ok(settled, 'the second close() resolved only after the call in flight');
  await first;
  t.equal((await pending).length, 2);

  const warnings: string[] = [];
  const onWarning = (warning: Error) => warnings.push(warning.name);
  process.on('warning', onWarning);
  t.teardown(() => process.off('warning', onWarning));
  const batcher = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', maxBatch: 8 });
  t.teardown(() => batcher.close());
  const controller = new AbortController();
  const results = await batcher.detectBatch(
    Array.from({ length: 24 }, () => jpeg),
    { signal: controller.signal },
  );
  await new Promise((resolve) => setImmediate(resolve));
  t.equal(results.length, 24);
  t.ok(
    results.every((faces) => faces.length === 2),
    'every image got its faces',
  );
  t.same(
    warnings.filter((name) => name === 'MaxListenersExceededWarning'),
    [],
    'no MaxListenersExceededWarning',
  );
  const aborted = new AbortController();
  const batch = errorOf(
    batcher.detectBatch(
      Array.from({ length: 24 }, () => jpeg),
      { signal: aborted.signal },
    ),
  );
  aborted.abort();
  t.equal((await deadline(batch, 10_000, 'aborted batch'))?.code, 'ABORTED', 'the batch still honours its signal');
});

t.test('the pixel budget: FIFO, one oversized image alone, abort while waiting', async (t) => {
  const budget = new PixelBudget(100);
  const order: string[] = [];
  const a = await budget.acquire(60);
  const b = budget.acquire(60).then((release) => (order.push('b'), release));
  const c = budget.acquire(10).then((release) => (order.push('c'), release));
  await new Promise((resolve) => setImmediate(resolve));
  t.same(order, [], 'b waits for room, and c waits behind b (first come, first served)');
  a();
  const releaseB = await b;
  const releaseC = await c;
  t.same(order, ['b', 'c']);
  t.equal(budget.inUse, 70);
  const controller = new AbortController();
  const huge = budget.acquire(500, controller.signal);
  const after = budget.acquire(1).then((release) => (order.push('after'), release));
  controller.abort();
  t.equal((await errorOf(huge))?.code, 'ABORTED', 'a waiting acquire honours its signal');
  (await after)();
  releaseB();
  releaseC();
  releaseC(); // releasing twice counts once
  t.equal(budget.inUse, 0);
  const alone = await budget.acquire(500);
  t.equal(budget.inUse, 500, 'an image over the whole budget runs when nothing else holds any');
  const next = budget.acquire(1).then((release) => (order.push('next'), release));
  await new Promise((resolve) => setImmediate(resolve));
  t.notOk(order.includes('next'), 'and runs alone');
  alone();
  (await next)();
  t.equal(budget.inUse, 0);
});

t.test('original-size tensors of odd sizes are not kept', async (t) => {
  const pool = new TensorPool({ keep: 4, keepBytes: 1000 });
  const small = pool.acquire(100);
  pool.release(small);
  t.equal(pool.acquire(100), small, 'a small tensor is reused');
  const big = pool.acquire(1000);
  pool.release(big);
  t.not(pool.acquire(1000), big, 'one over keepBytes is dropped, not kept');
  t.equal(pool.heldBytes, 0);
});

t.test('peak memory with many large images in flight is bounded (child process)', async (t) => {
  // 8 concurrent 4000x4000 PNGs (16 MP each, 48 MB decoded) under a budget of one such image at a time. A flat PNG
  // is tiny on disk (220 KB) and quick to decode; made here, so that making it does not count in the child's peak.
  const file = path.join(tmp, 'flat-4000.png');
  await sharp({ create: { width: 4000, height: 4000, channels: 3, background: '#7f6f5f' } })
    .png()
    .toFile(file);
  const run = runChild('child-peak-rss.ts', [file, '8', JSON.stringify({ maxInflightPixels: 16_000_000 })]);
  t.comment(run.stdout.trim(), run.stderr.trim().slice(-2000));
  t.equal(run.status, 0, 'the child ran');
  const report = JSON.parse(run.stdout.trim().split('\n').pop() ?? '{}') as {
    beforeMB?: number;
    peakMB?: number;
    failed?: string[];
  };
  t.same(report.failed, [], 'every call succeeded');
  // Without the budget the same run peaks at about 600 MB here, 470 MB over the detector's own (every decoded image
  // held at once); with it, about 270 MB, 130 MB over.
  const peak = report.peakMB ?? Infinity;
  t.ok(
    peak - (report.beforeMB ?? 0) < 250,
    `the calls raised the peak by ${peak - (report.beforeMB ?? 0)} MB (< 250 MB)`,
  );
  t.ok(peak < 500, `peak RSS ${peak} MB < 500 MB`);
});
