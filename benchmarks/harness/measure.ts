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

const pick = (images: readonly BenchImage[], i: number) => images[i % images.length]!;

type Loop = (seconds: number, latencies?: number[]) => Promise<number>;

/** `callers` closed-loop workers, each calling `call(i)` again as soon as the previous call returns; calls/s. */
function makeLoop(callers: number, call: (i: number) => Promise<void>): Loop {
  let next = 0;
  return async (seconds, latencies) => {
    let calls = 0;
    const start = performance.now();
    const deadline = start + seconds * 1000;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < deadline) {
          const t = performance.now();
          await call(next++);
          latencies?.push(performance.now() - t);
          calls++;
        }
      }),
    );
    return calls / ((performance.now() - start) / 1000);
  };
}

/** One warm-up run, then `repeats` runs of about `seconds`: throughput and per-call latency. */
async function closedLoop(
  settings: LoopSettings,
  callers: number,
  call: (i: number) => Promise<void>,
): Promise<Throughput> {
  const loop = makeLoop(callers, call);
  await loop(Math.min(settings.seconds, 1)); // warm-up, excluded
  const runs: number[] = [];
  const latencies: number[] = [];
  for (let r = 0; r < settings.repeats; r++) runs.push(await loop(settings.seconds, latencies));
  return { imagesPerSecond: spread(runs), latencyMs: latencySummary(latencies) };
}

/**
 * Inference batches of `batch` images: the detector's maxBatch is `batch` and 2 x batch callers keep it busy, so one
 * batch is being prepared while the previous one runs (as under real load).
 */
export function detectorAtBatch(
  detector: Detector,
  images: readonly BenchImage[],
  batch: number,
  input: (image: BenchImage) => ImageInput,
  settings: LoopSettings,
): Promise<Throughput> {
  return closedLoop(settings, 2 * batch, async (i) => {
    await detector.detect(input(pick(images, i)));
  });
}

/** `concurrency` closed-loop callers; also the mean of each call's stage timings. */
export async function detectorAtConcurrency(
  detector: Detector,
  images: readonly BenchImage[],
  concurrency: number,
  input: (image: BenchImage) => ImageInput,
  settings: LoopSettings,
): Promise<Throughput & { stages: Record<string, number> }> {
  const sums: Record<string, number> = {};
  let calls = 0;
  const result = await closedLoop(settings, concurrency, async (i) => {
    const { timings } = await detector.detectWithTimings(input(pick(images, i)));
    calls++;
    for (const [key, value] of Object.entries(timings)) sums[key] = (sums[key] ?? 0) + value;
  });
  return { ...result, stages: Object.fromEntries(Object.entries(sums).map(([k, v]) => [k, v / Math.max(1, calls)])) };
}

/** The raw baseline's session: the CPU backend's settings (lib/backends/cpu.ts), nothing of ours around it. */
export function createRawSession(modelPath: string): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(modelPath, { graphOptimizationLevel: 'all', executionMode: 'sequential' });
}

/** onnxruntime-node's session.run on tensors made beforehand by our own preprocessing, whole batches back to back. */
async function rawLoop(
  session: ort.InferenceSession,
  images: readonly BenchImage[],
  batch: number,
  size: number,
): Promise<Loop> {
  const perImage = 3 * size * size;
  const tensors: ort.Tensor[] = [];
  for (let t = 0; t < 4; t++) {
    const data = new Float32Array(batch * perImage);
    const chunk = Array.from({ length: batch }, (_, k) => pick(images, t * batch + k).pixels);
    await binding().preprocess(chunk, { width: size, height: size }, data);
    tensors.push(new ort.Tensor('float32', data, [batch, 3, size, size]));
  }
  const inputName = session.inputNames[0]!;
  const loop = makeLoop(1, async (i) => {
    await session.run({ [inputName]: tensors[i % tensors.length]! });
  });
  return async (seconds, latencies) => batch * (await loop(seconds, latencies)); // images/s
}

export interface Comparison {
  ours: Throughput;
  raw: Throughput;
  /** ours / raw per ours window, raw being the mean of the raw windows just before and just after it. */
  ratio: Spread;
  /** Seconds per timed window (at least `settings.seconds`, longer for large batches), and the warm-up before each. */
  windowSeconds: number;
  warmupSeconds: number;
}

/**
 * Ours from decoded pixels (detector at maxBatch = batch, 2 x batch callers) against the raw baseline (a session
 * with the same settings as the CPU backend's), as raw, ours, raw, ours, ..., raw: `repeats` ours windows, each
 * compared with the mean of the raw windows on either side. A shared machine's speed drifts within a second (this
 * VM by 20%), and bracketing cancels a steady drift, which a plain ours-then-raw pair would count against one side.
 * Each window starts with an untimed warm-up (at least 0.15 s and one batch): for about 40 ms after its last run the
 * other side's onnxruntime worker still spins on a core, and the detector's pipeline (the next batch letterboxed
 * while one runs) must fill again; a server running steadily pays neither. Without the warm-up of the raw windows,
 * raw loses its first runs to the detector's spinning session and ours / raw reads about 0.06 higher at batch 1.
 * A window lasts at least 3 batches, so that the pipeline's end stays small.
 */
export async function oursVersusRaw(
  detector: Detector,
  modelPath: string,
  images: readonly BenchImage[],
  batch: number,
  size: number,
  settings: LoopSettings,
): Promise<Comparison> {
  const session = await createRawSession(modelPath);
  try {
    const ours = makeLoop(2 * batch, async (i) => {
      await detector.detect(pick(images, i).pixels);
    });
    const raw = await rawLoop(session, images, batch, size);
    await ours(Math.min(settings.seconds, 1)); // first warm-ups, excluded
    await raw(Math.min(settings.seconds, 1)); // its first runs allocate, so it calibrates nothing
    const batchSeconds = batch / (await raw(0.2)); // at least one batch, however short the loop
    const windowSeconds = Math.max(settings.seconds, 3 * batchSeconds);
    const warmupSeconds = Math.max(0.15, batchSeconds);
    const oursLatency: number[] = [],
      rawLatency: number[] = [];
    const timed = async (loop: Loop, latencies: number[]) => {
      await loop(warmupSeconds);
      return loop(windowSeconds, latencies);
    };
    const oursRuns: number[] = [],
      rawRuns: number[] = [await timed(raw, rawLatency)],
      ratios: number[] = [];
    for (let r = 0; r < settings.repeats; r++) {
      oursRuns.push(await timed(ours, oursLatency));
      rawRuns.push(await timed(raw, rawLatency));
      ratios.push(oursRuns[r]! / ((rawRuns[r]! + rawRuns[r + 1]!) / 2));
    }
    return {
      ours: { imagesPerSecond: spread(oursRuns), latencyMs: latencySummary(oursLatency) },
      raw: { imagesPerSecond: spread(rawRuns), latencyMs: latencySummary(rawLatency) },
      ratio: spread(ratios),
      windowSeconds,
      warmupSeconds,
    };
  } finally {
    await session.release();
  }
}
