/**
 * Timed loops. Each measurement runs `repeats` times for about `seconds` each after a warm-up; the median run is the
 * figure and the min/max the spread.
 */
import * as ort from 'onnxruntime-node';
import type { Detector, ImageInput } from '../../lib';
import { binding } from '../../lib/binding';
import type { BenchImage } from './images';
import { latencySummary, type LatencySummary, spread, type Spread } from './stats';

export interface LoopSettings {
  seconds: number;
  repeats: number;
}

export interface Throughput {
  imagesPerSecond: Spread;
  /** Per-image latency over all runs, ms. */
  latencyMs: LatencySummary;
}

/** Runs `round` (which processes `perRound` images and returns per-image latencies) until time is up, repeatedly. */
async function timed(settings: LoopSettings, perRound: number, round: (i: number) => Promise<number[]>): Promise<Throughput> {
  await round(0); // warm-up, excluded
  const runs: number[] = [];
  const latencies: number[] = [];
  let counter = 1;
  for (let r = 0; r < settings.repeats; r++) {
    let images = 0;
    const start = performance.now();
    do {
      latencies.push(...(await round(counter++)));
      images += perRound;
    } while (performance.now() - start < settings.seconds * 1000);
    runs.push(images / ((performance.now() - start) / 1000));
  }
  return { imagesPerSecond: spread(runs), latencyMs: latencySummary(latencies) };
}

const pick = (images: readonly BenchImage[], i: number) => images[i % images.length]!;

/** Inference batches of exactly `batch` images: `batch` concurrent detect() calls per round. */
export function detectorAtBatch(
  detector: Detector,
  images: readonly BenchImage[],
  batch: number,
  input: (image: BenchImage) => ImageInput,
  settings: LoopSettings,
): Promise<Throughput> {
  return timed(settings, batch, async (round) => {
    const start = performance.now();
    await Promise.all(Array.from({ length: batch }, (_, k) => detector.detect(input(pick(images, round * batch + k)))));
    return new Array<number>(batch).fill(performance.now() - start);
  });
}

/** `concurrency` closed-loop callers; also collects each call's stage timings. */
export async function detectorAtConcurrency(
  detector: Detector,
  images: readonly BenchImage[],
  concurrency: number,
  input: (image: BenchImage) => ImageInput,
  settings: LoopSettings,
): Promise<Throughput & { stages: Record<string, number> }> {
  const stageSums: Record<string, number> = {};
  let calls = 0;
  const result = await timed(settings, concurrency, async (round) => {
    const timings = await Promise.all(
      Array.from({ length: concurrency }, (_, k) => detector.detectWithTimings(input(pick(images, round * concurrency + k)))),
    );
    if (round > 0) {
      for (const { timings: t } of timings) {
        calls++;
        for (const [key, value] of Object.entries(t)) stageSums[key] = (stageSums[key] ?? 0) + value;
      }
    }
    return timings.map((t) => t.timings.totalMs);
  });
  const stages = Object.fromEntries(Object.entries(stageSums).map(([k, v]) => [k, v / Math.max(1, calls)]));
  return { ...result, stages };
}

/** The baseline: onnxruntime-node's session.run on tensors made beforehand by our own preprocessing. */
export async function rawSessionRun(
  modelPath: string,
  images: readonly BenchImage[],
  batch: number,
  size: number,
  settings: LoopSettings,
): Promise<Throughput> {
  const session = await ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'all', executionMode: 'sequential' });
  const perImage = 3 * size * size;
  const tensors: ort.Tensor[] = [];
  for (let t = 0; t < 4; t++) {
    const data = new Float32Array(batch * perImage);
    const chunk = Array.from({ length: batch }, (_, k) => pick(images, t * batch + k).pixels);
    await binding().preprocess(chunk, { width: size, height: size }, data);
    tensors.push(new ort.Tensor('float32', data, [batch, 3, size, size]));
  }
  const inputName = session.inputNames[0]!;
  try {
    return await timed(settings, batch, async (round) => {
      const start = performance.now();
      await session.run({ [inputName]: tensors[round % tensors.length]! });
      return new Array<number>(batch).fill(performance.now() - start);
    });
  } finally {
    await session.release();
  }
}
