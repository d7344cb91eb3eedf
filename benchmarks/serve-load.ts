/**
 * Load test of `retinaface serve` on loopback (127.0.0.1 only), against the CPU backend: throughput and p50/p99
 * latency at concurrency 1, 8 and 32 with autocannon, next to the detector's own best in-process throughput on the
 * same images. Writes benchmarks/results/serve-load-<date>.{json,md}.
 *   npx tsx benchmarks/serve-load.ts [--seconds 10] [--images 48]
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { Detector } from '../lib';
import { describeMachine } from './common/machine';
import { startServer } from './common/server-process';

const SHARED = path.resolve(__dirname, '../../shared');
const MODEL = path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx');
const WIDER = path.join(SHARED, 'data/widerface-val/images');

function pickImages(count: number): Buffer[] {
  const files = fs.readdirSync(WIDER).sort().flatMap((e) => fs.readdirSync(path.join(WIDER, e)).sort().map((n) => path.join(WIDER, e, n)));
  const step = Math.max(1, Math.floor(files.length / count));
  return files.filter((_, i) => i % step === 0).slice(0, count).map((f) => fs.readFileSync(f));
}

/** Images per second of detect() calls kept `concurrency` deep for `seconds`, rotating through the images. */
async function inProcess(detector: Detector, images: Buffer[], concurrency: number, seconds: number): Promise<number> {
  let next = 0;
  let done = 0;
  const deadline = performance.now() + seconds * 1000;
  const start = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (performance.now() < deadline) {
        await detector.detect(images[next++ % images.length]!);
        done++;
      }
    }),
  );
  return done / ((performance.now() - start) / 1000);
}

async function main(): Promise<void> {
  const flags = new Command()
    .option('--seconds <n>', 'duration of each measurement', Number, 10)
    .option('--images <n>', 'distinct WIDER images to rotate through', Number, 48)
    .parse()
    .opts<{ seconds: number; images: number }>();
  const images = pickImages(flags.images);
  const concurrencies = [1, 8, 32];
  const settings = { model: MODEL, maxBatch: 8, maxDelayMs: 2 };

  const detector = await Detector.create(settings);
  await inProcess(detector, images, 8, 2); // warm-up
  const library: Record<number, number> = {};
  for (const c of concurrencies) {
    library[c] = await inProcess(detector, images, c, flags.seconds);
    console.error(`in-process concurrency ${c}: ${library[c]!.toFixed(1)} images/s`);
  }
  await detector.close();
  const best = Math.max(...Object.values(library));

  const server = await startServer(['--model', MODEL, '--max-batch', '8', '--max-delay-ms', '2']);
  const requests = images.map((body) => ({ method: 'POST' as const, path: '/detect', headers: { 'content-type': 'image/jpeg' }, body }));
  await autocannon({ url: server.address, connections: 8, duration: 2, requests }); // warm-up
  const http: Record<number, { rps: number; p50: number; p99: number; non2xx: number; errors: number }> = {};
  for (const c of concurrencies) {
    const r = await autocannon({ url: server.address, connections: c, duration: flags.seconds, requests });
    http[c] = { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
    console.error(`server concurrency ${c}: ${r.requests.average.toFixed(1)} req/s, p50 ${r.latency.p50} ms, p99 ${r.latency.p99} ms`);
  }
  await server.stop();

  const ratio = http[8]!.rps / best;
  const result = {
    benchmark: 'serve-load',
    machine: describeMachine(),
    settings: { ...settings, model: path.basename(MODEL), inputSize: 640, backend: 'cpu', images: images.length, seconds: flags.seconds },
    inProcessImagesPerSecond: library,
    bestInProcess: best,
    http,
    serverAtConcurrency8VsBestInProcess: ratio,
  };
  const day = result.machine.date.slice(0, 10);
  const outDir = path.resolve(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `serve-load-${day}.json`), JSON.stringify(result, null, 2) + '\n');
  const rows = concurrencies.map((c) => `| ${c} | ${library[c]!.toFixed(1)} | ${http[c]!.rps.toFixed(1)} | ${http[c]!.p50} | ${http[c]!.p99} | ${http[c]!.non2xx + http[c]!.errors} |`);
  const md = [
    `# retinaface serve: load test (${day})`,
    '',
    `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, onnxruntime-node ${result.machine.onnxruntime}, no GPU (CPU backend).`,
    `Settings: MobileNet-0.25, 640 letterbox, maxBatch 8, maxDelayMs 2; ${images.length} WIDER val JPEGs rotated; ${flags.seconds} s per point; autocannon on 127.0.0.1.`,
    '',
    '| concurrency | in-process images/s | server req/s | p50 ms | p99 ms | errors |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Server at concurrency 8 / best in-process: **${(100 * ratio).toFixed(1)}%** (goal >= 90%).`,
    '',
    'Reproduce: `npm run build && npx tsx benchmarks/serve-load.ts`',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(outDir, `serve-load-${day}.md`), md);
  console.log(md);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
