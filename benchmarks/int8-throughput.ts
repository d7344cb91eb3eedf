/**
 * JPEG-in throughput with 8 callers for fp32-exact, fp32-fast, int8-exact and int8-fast, against the bare FP32
 * model: onnxruntime-node's session.run on tensors made beforehand (our letterbox), batch 8, back to back.
 * One process, windows in alternation (raw, A, raw, B, raw, C, raw, D, raw, A, ...), each ours window compared with
 * the mean of the raw windows on either side, so a shared machine's drift cancels; each window has an untimed
 * warm-up (the other session's worker threads spin for a while after their last run).
 *
 *   npx tsx benchmarks/int8-throughput.ts --int8 model.int8.onnx [--set wider|large] [--seconds 3] [--rounds 3]
 *
 * --set wider: 64 of the shared WIDER images (every k-th; what `npm run bench` uses, mostly 1024 px wide, which
 * decode: 'fast' leaves alone at 640); --set large: the shared WIDER images whose long side is at least 1920 px
 * (where 'fast' applies). Writes benchmarks/results/int8-throughput-<date>-<set>.json.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import { Detector, type DetectorOptions } from '../lib';
import { BENCH_MODEL, type BenchImage, loadImages, WIDER_IMAGES } from './harness/images';
import { createRawSession } from './harness/measure';
import { binding } from '../lib/binding';
import * as ort from 'onnxruntime-node';
import { decodeImage } from '../lib/image';
import { spread } from './harness/stats';

const SIZE = 640;
const BATCH = 8;
const CALLERS = 8;

function flag(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

type Loop = (seconds: number) => Promise<number>;

function closedLoop(callers: number, call: (i: number) => Promise<unknown>, perCall = 1): Loop {
  let next = 0;
  return async (seconds) => {
    let calls = 0;
    const start = performance.now(),
      deadline = start + seconds * 1000;
    await Promise.all(
      Array.from({ length: callers }, async () => {
        while (performance.now() < deadline) {
          await call(next++);
          calls++;
        }
      }),
    );
    return (perCall * calls) / ((performance.now() - start) / 1000);
  };
}

async function largeImages(): Promise<BenchImage[]> {
  const out: BenchImage[] = [];
  for (const event of fs.readdirSync(WIDER_IMAGES).sort()) {
    for (const name of fs.readdirSync(path.join(WIDER_IMAGES, event)).sort()) {
      const file = path.join(WIDER_IMAGES, event, name);
      const m = await sharp(file).metadata();
      if (Math.max(m.width ?? 0, m.height ?? 0) < 1920) continue;
      const encoded = fs.readFileSync(file);
      out.push({
        name: `${event}/${name}`,
        encoded,
        pixels: await decodeImage(encoded, { maxPixels: 1e8, minSide: 1 }),
      });
    }
  }
  return out;
}

async function main(): Promise<void> {
  const int8 = flag('int8');
  if (!int8) throw new Error('--int8 <model.int8.onnx> is required');
  const set = flag('set', 'wider')!;
  const seconds = Number(flag('seconds', '3'));
  const rounds = Number(flag('rounds', '3'));
  const images = set === 'large' ? await largeImages() : await loadImages(64);
  const loadBefore = os.loadavg();

  const variants: Array<{ id: string; options: DetectorOptions }> = [
    { id: 'fp32-exact', options: { model: BENCH_MODEL } },
    { id: 'fp32-fast', options: { model: BENCH_MODEL, decode: 'fast' } },
    { id: 'int8-exact', options: { model: int8 } },
    { id: 'int8-fast', options: { model: int8, decode: 'fast' } },
  ];
  const detectors = await Promise.all(
    variants.map((v) =>
      Detector.create({
        ...v.options,
        backend: 'cpu',
        inputSize: SIZE,
        maxBatch: BATCH,
        maxDelayMs: 2,
      }),
    ),
  );
  const loops = detectors.map((d) => closedLoop(CALLERS, (i) => d.detect(images[i % images.length]!.encoded)));

  // The bare FP32 model on ready tensors, batch 8.
  const session = await createRawSession(BENCH_MODEL);
  const tensors: ort.Tensor[] = [];
  for (let t = 0; t < 4; t++) {
    const data = new Float32Array(BATCH * 3 * SIZE * SIZE);
    await binding().preprocess(
      Array.from({ length: BATCH }, (_, k) => images[(t * BATCH + k) % images.length]!.pixels),
      { width: SIZE, height: SIZE },
      data,
    );
    tensors.push(new ort.Tensor('float32', data, [BATCH, 3, SIZE, SIZE]));
  }
  const raw = closedLoop(1, (i) => session.run({ [session.inputNames[0]!]: tensors[i % tensors.length]! }), BATCH);

  const warm = async (loop: Loop) => {
    await loop(Math.max(0.5, seconds / 4));
    return loop(seconds);
  };
  for (const loop of [...loops, raw]) await loop(1); // first runs allocate
  const rawRuns: number[] = [await warm(raw)];
  const ours: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.id, []]));
  const ratios: Record<string, number[]> = Object.fromEntries(variants.map((v) => [v.id, []]));
  for (let r = 0; r < rounds; r++) {
    for (let v = 0; v < variants.length; v++) {
      const value = await warm(loops[v]!);
      const after = await warm(raw);
      const before = rawRuns[rawRuns.length - 1]!;
      rawRuns.push(after);
      ours[variants[v]!.id]!.push(value);
      ratios[variants[v]!.id]!.push(value / ((before + after) / 2));
      console.error(
        `round ${r + 1} ${variants[v]!.id}: ${value.toFixed(1)} img/s, raw ${before.toFixed(1)}/${after.toFixed(1)}, ratio ${(value / ((before + after) / 2)).toFixed(3)}`,
      );
    }
  }
  const loadAfter = os.loadavg();
  for (const d of detectors) await d.close();
  await session.release();

  const result = {
    date: new Date().toISOString(),
    command: `npx tsx benchmarks/int8-throughput.ts ${process.argv.slice(2).join(' ')}`,
    set,
    images: images.length,
    inputSize: SIZE,
    batch: BATCH,
    callers: CALLERS,
    windowSeconds: seconds,
    rounds,
    fp32Model: path.relative(path.resolve(__dirname, '..'), BENCH_MODEL),
    int8Model: int8,
    machine: {
      cpus: os.availableParallelism(),
      cpu: os.cpus()[0]?.model,
      loadAverageBefore: loadBefore,
      loadAverageAfter: loadAfter,
    },
    rawImagesPerSecond: spread(rawRuns),
    variants: Object.fromEntries(
      variants.map((v) => [v.id, { imagesPerSecond: spread(ours[v.id]!), ratioToRaw: spread(ratios[v.id]!) }]),
    ),
  };
  const out = path.resolve(__dirname, `results/int8-throughput-${result.date.slice(0, 10)}-${set}.json`);
  fs.writeFileSync(out, JSON.stringify(result, null, 2) + '\n');
  console.log(
    `load average before ${loadBefore.map((l) => l.toFixed(1)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(1)).join(' ')}`,
  );
  console.log(`raw FP32 session.run batch 8: ${result.rawImagesPerSecond.median.toFixed(1)} img/s (median)`);
  for (const v of variants) {
    const r = result.variants[v.id]!;
    console.log(
      `${v.id.padEnd(11)} ${r.imagesPerSecond.median.toFixed(1)} img/s  ratio to raw ${r.ratioToRaw.median.toFixed(3)} (${r.ratioToRaw.min.toFixed(3)}-${r.ratioToRaw.max.toFixed(3)})`,
    );
  }
  console.log(`wrote ${path.relative(process.cwd(), out)}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
