// Dynamic batching: concurrent calls share inferences, each caller gets its own faces; bounded queue; abort.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Detector, RetinaFaceError } from '../lib';
import { Batcher, type BatchStages } from '../lib/batcher';
import { decodeImage } from '../lib/image';
import { MODEL_DYNAMIC, PHOTOS, widerSample, WIDER_IMAGES } from './helpers/shared';

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function sixtyFourImages(): string[] {
  const photos = fs
    .readdirSync(PHOTOS)
    .filter((n) => /\.(jpe?g|png)$/.test(n))
    .map((n) => path.join(PHOTOS, n));
  const events = fs
    .readdirSync(WIDER_IMAGES)
    .flatMap((e) => fs.readdirSync(path.join(WIDER_IMAGES, e)).map((n) => `${e}/${n}`));
  return [...photos, ...widerSample(events, 64 - photos.length).map((n) => path.join(WIDER_IMAGES, n))];
}

t.test('64 concurrent calls: same faces as one by one, batches formed', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, maxBatch: 8, maxDelayMs: 5 });
  t.teardown(() => detector.close());
  const images = sixtyFourImages();
  t.equal(images.length, 64);
  const alone: unknown[] = [];
  for (const image of images) alone.push(await detector.detect(image));
  const before = detector.stats();
  t.equal(before.meanBatchSize, 1, 'sequential calls run one by one');
  const together = await Promise.all(images.map((image) => detector.detectWithTimings(image)));
  const after = detector.stats();
  const batches = after.batches - before.batches;
  t.comment(`64 concurrent calls ran in ${batches} batches (mean ${(64 / batches).toFixed(2)} images)`);
  t.ok(batches < 64, 'batches of more than one image formed');
  t.ok(
    together.some((r) => r.timings.batchSize > 1),
    'callers see their batch size',
  );
  let worst = 0;
  for (const [i, result] of together.entries()) {
    const expected = alone[i] as typeof result.faces;
    t.equal(result.faces.length, expected.length, `${path.basename(images[i]!)}: same count`);
    result.faces.forEach((f, k) => {
      worst = Math.max(
        worst,
        ...f.box.map((v, j) => Math.abs(v - expected[k]!.box[j]!)),
        Math.abs(f.score - expected[k]!.score) * 1000,
      );
    });
  }
  t.comment(`largest difference batched vs alone: ${worst.toExponential(2)} px (score diffs scaled by 1000)`);
  t.ok(worst <= 1e-3, 'every caller got the faces of its own image');
  t.equal(after.completed - before.completed, 64);
  t.equal(after.queueDepth, 0);
  const timings = together[0]!.timings;
  for (const key of ['decodeMs', 'queueMs', 'preprocessMs', 'inferenceMs', 'postprocessMs', 'totalMs'] as const) {
    t.ok(timings[key] >= 0 && timings[key] <= timings.totalMs + 1e-6, `${key} is a part of totalMs`);
  }
});

t.test('a full queue rejects at once with QUEUE_FULL; the admitted calls succeed', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, maxQueue: 4, maxBatch: 2 });
  t.teardown(() => detector.close());
  const photo = path.join(PHOTOS, 'fr_two_people.jpg');
  const results = await Promise.allSettled(Array.from({ length: 12 }, () => detector.detect(photo)));
  const full = results.filter((r) => r.status === 'rejected' && (r.reason as RetinaFaceError).code === 'QUEUE_FULL');
  const ok = results.filter((r) => r.status === 'fulfilled');
  t.equal(full.length + ok.length, 12, 'every call either succeeded or was refused with QUEUE_FULL');
  t.ok(full.length >= 1 && ok.length >= 4, `${ok.length} admitted, ${full.length} refused`);
  t.ok(
    ok.every((r) => (r as PromiseFulfilledResult<unknown[]>).value.length === 2),
    'admitted calls got their faces',
  );
  t.equal(detector.stats().failed.QUEUE_FULL, full.length, 'counted by code');
  t.ok((await detector.detect(photo)).length === 2, 'the queue drains and accepts again');
});

t.test('abort: before the call, while queued, while its batch runs', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, maxBatch: 1, maxDelayMs: 0 });
  t.teardown(() => detector.close());
  const photo = path.join(PHOTOS, 'rf_curve_test.jpg');
  await t.rejects(detector.detect(photo, { signal: AbortSignal.abort() }), { code: 'ABORTED' }, 'already aborted');
  // Decoded pixels, so that the calls reach the batcher in call order (encoded images finish decoding in any order).
  const pixels = await decodeImage(photo, { maxPixels: 1e8, minSide: 1 });
  const controllers = Array.from({ length: 6 }, () => new AbortController());
  const calls = controllers.map((c) => detector.detect(pixels, { signal: c.signal }));
  // When the first call returns, the second one's batch has started (one inference at a time, and it is next) and
  // the rest wait in the queue.
  await calls[0];
  for (const i of [1, 3, 5]) controllers[i]!.abort();
  const results = await Promise.allSettled(calls);
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled', 'rejected'],
  );
  t.ok(
    results.filter((r) => r.status === 'rejected').every((r) => (r as PromiseRejectedResult).reason.code === 'ABORTED'),
  );
  const stats = detector.stats();
  t.ok(stats.images <= 1 + 1 + 3 + 3, `aborted queued calls never ran (${stats.images} images run)`);
});

t.test('Batcher: size and delay triggers, per-item results, a failing batch fails only its items', async (t) => {
  const seen: number[][] = [];
  const batcher = new Batcher<number, number>(
    { maxBatch: 3, maxDelayMs: 20, maxQueue: 100, maxConcurrentBatches: 1 },
    async (items) => {
      seen.push(items);
      await sleep(5);
      if (items.includes(-1)) throw new RetinaFaceError('INFERENCE_FAILED', 'boom');
      return items.map((x) => x * 10);
    },
  );
  const first = await Promise.all([1, 2, 3].map((x) => batcher.submit(x)));
  t.same(
    first.map((r) => r.value),
    [10, 20, 30],
  );
  t.same(seen[0], [1, 2, 3], 'maxBatch reached: ran at once');
  await sleep(1); // let the finished batch retire (an item queued while a batch runs goes next, without delay)
  const start = performance.now();
  const lone = await batcher.submit(4);
  t.ok(performance.now() - start >= 18, 'a lone item waits maxDelayMs');
  t.equal(lone.batchSize, 1);
  const mixed = await Promise.allSettled([5, -1, 6, 7].map((x) => batcher.submit(x)));
  t.same(
    mixed.map((r) => r.status),
    ['rejected', 'rejected', 'rejected', 'fulfilled'],
    'only the failing batch fails',
  );
  t.equal((mixed[3] as PromiseFulfilledResult<{ value: number }>).value.value, 70);
  const small = new Batcher<number, number>(
    { maxBatch: 2, maxDelayMs: 1, maxQueue: 2, maxConcurrentBatches: 1 },
    async (x) => x,
  );
  const release = small.reserve();
  small.reserve();
  t.throws(() => small.reserve(), { code: 'QUEUE_FULL' });
  release();
  t.doesNotThrow(() => small.reserve()(), 'a released reservation frees its place');
});

/** A fake engine that records when items are staged and batches run, for the staged Batcher. */
function stagedFake(options: { runMs: number; failStage?: (item: number) => boolean }) {
  const log: string[] = [];
  let open = 0;
  let maxOpen = 0;
  let nextContext = 0;
  const stages: BatchStages<number, number, number, { id: number; slots: number[] }> = {
    open: () => {
      open++;
      maxOpen = Math.max(maxOpen, open);
      return { id: nextContext++, slots: [] };
    },
    stage: async (item, context, slot) => {
      await sleep(1);
      if (options.failStage?.(item)) throw new RetinaFaceError('IMAGE_DECODE_FAILED', `item ${item}`);
      context.slots[slot] = item;
      log.push(`stage ${item}@${context.id}.${slot}`);
      return item;
    },
    run: async (slots, context) => {
      log.push(`run ${context.id} [${slots.map((s) => s ?? '-').join(',')}]`);
      await sleep(options.runMs);
      return slots.map((s) => (s === undefined ? undefined : s * 10));
    },
    close: () => {
      open--;
    },
  };
  return { stages, log, maxOpen: () => maxOpen, open: () => open };
}

t.test('Batcher stages: items are prepared on arrival and the next batch fills while one runs', async (t) => {
  const fake = stagedFake({ runMs: 40 });
  const batcher = new Batcher({ maxBatch: 4, maxDelayMs: 0, maxQueue: 100, maxConcurrentBatches: 1 }, fake.stages);
  const first = batcher.submit(1);
  await sleep(10); // batch 0 = [1] runs
  const later = [2, 3, 4].map((x) => batcher.submit(x));
  await sleep(10);
  t.same(
    fake.log.filter((l) => l.startsWith('stage')),
    ['stage 1@0.0', 'stage 2@1.0', 'stage 3@1.1', 'stage 4@1.2'],
    'items that arrive while a batch runs are staged at once, in slots of the next batch',
  );
  t.equal(batcher.queueDepth, 3);
  const results = await Promise.all([first, ...later]);
  t.same(
    results.map((r) => r.value),
    [10, 20, 30, 40],
  );
  t.same(
    results.map((r) => r.batchSize),
    [1, 3, 3, 3],
    'the next batch kept filling until the engine was free',
  );
  t.same(
    fake.log.filter((l) => l.startsWith('run')),
    ['run 0 [1]', 'run 1 [2,3,4]'],
  );
  t.equal(fake.open(), 0, 'every context was closed');
});

t.test(
  'Batcher stages: a failed staging fails only its item; an abort leaves a hole; contexts stay bounded',
  async (t) => {
    const fake = stagedFake({ runMs: 20, failStage: (x) => x === 13 });
    const batcher = new Batcher({ maxBatch: 3, maxDelayMs: 1000, maxQueue: 100, maxConcurrentBatches: 1 }, fake.stages);
    const controller = new AbortController();
    const calls = [11, 12, 13, 14, 15, 16, 17, 18, 19, 20].map((x) =>
      batcher.submit(x, x === 15 ? controller.signal : undefined),
    );
    const settled = Promise.allSettled(calls);
    await sleep(5);
    controller.abort();
    const results = await settled;
    t.same(
      results.map((r) => r.status),
      [
        'fulfilled',
        'fulfilled',
        'rejected',
        'fulfilled',
        'rejected',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
        'fulfilled',
      ],
    );
    t.equal(((results[2] as PromiseRejectedResult).reason as RetinaFaceError).code, 'IMAGE_DECODE_FAILED');
    t.equal(((results[4] as PromiseRejectedResult).reason as RetinaFaceError).code, 'ABORTED');
    t.same(
      results.flatMap((r) => (r.status === 'fulfilled' ? [r.value.value] : [])),
      [110, 120, 140, 160, 170, 180, 190, 200],
      'each caller got its own result',
    );
    t.same(
      fake.log.filter((l) => l.startsWith('run')),
      ['run 0 [11,12,-]', 'run 1 [14,-,16]', 'run 2 [17,18,19]', 'run 3 [20]'],
      'failed and aborted slots are holes; a batch that ends starts the next one at once',
    );
    t.ok(fake.maxOpen() <= 2, `at most maxConcurrentBatches + 1 batches hold a context (${fake.maxOpen()})`);
    t.equal(fake.open(), 0);
    // A batch whose every item left is dropped without running.
    const lone = new AbortController();
    const blocker = batcher.submit(1);
    const dropped = batcher.submit(2, lone.signal);
    lone.abort();
    await t.rejects(dropped, { code: 'ABORTED' });
    await blocker;
    await sleep(5);
    t.notOk(
      fake.log.some((l) => l.startsWith('run') && l.includes('[2]')),
      'the emptied batch never ran',
    );
    t.equal(fake.open(), 0);
  },
);

t.test('Batcher stages: a context that is undefined still counts as held (each item staged once)', async (t) => {
  const staged: number[] = [];
  let opened = 0;
  const batcher = new Batcher<number, number, number, undefined>(
    { maxBatch: 4, maxDelayMs: 1, maxQueue: 100, maxConcurrentBatches: 1 },
    {
      open: () => {
        opened++;
        return undefined;
      },
      stage: async (item) => {
        staged.push(item);
        return item;
      },
      run: async (slots) => {
        await sleep(10);
        return slots.map((s) => (s === undefined ? undefined : s + 1));
      },
      close: () => undefined,
    },
  );
  const results = await Promise.all([1, 2, 3, 4, 5, 6].map((x) => batcher.submit(x)));
  t.same(
    results.map((r) => r.value),
    [2, 3, 4, 5, 6, 7],
  );
  t.same(staged, [1, 2, 3, 4, 5, 6], 'every item staged exactly once');
  t.equal(opened, 2, 'one context per batch');
});
