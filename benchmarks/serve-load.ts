/**
 * Load test of `retinaface serve` on loopback (127.0.0.1 only), against the CPU backend: throughput and p50/p99
 * latency at concurrency 1, 8 and 32 with autocannon, next to the detector's own best in-process throughput on the
 * same images. Writes benchmarks/results/serve-load-<date>.{json,md}.
 *   npx tsx benchmarks/serve-load.ts [--seconds 8] [--repeats 3] [--images 48]
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { Detector } from '../lib';
import { describeMachine } from './common/machine';
import { BENCH_MODEL, pickImageNames, WIDER_IMAGES } from './harness/images';
import { median } from './harness/stats';
import { startServer } from './common/server-process';
import { RESULTS_DIR, writeReport } from './common/report';

const MODEL = BENCH_MODEL;

function pickImages(count: number): Buffer[] {
  return pickImageNames(count).map((name) => fs.readFileSync(path.join(WIDER_IMAGES, name)));
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

interface ServerPoint {
  rps: number;
  p50: number;
  p99: number;
  non2xx: number;
  errors: number;
}

async function overHttp(
  address: string,
  requests: autocannon.Request[],
  connections: number,
  seconds: number,
): Promise<ServerPoint> {
  const r = await autocannon({ url: address, connections, duration: seconds, requests });
  return { rps: r.requests.average, p50: r.latency.p50, p99: r.latency.p99, non2xx: r.non2xx, errors: r.errors };
}

async function main(): Promise<void> {
  const flags = new Command()
    .option('--seconds <n>', 'duration of each measurement', Number, 8)
    .option(
      '--repeats <n>',
      'rounds; each measures every point in-process and over HTTP, one after the other',
      Number,
      3,
    )
    .option('--images <n>', 'distinct WIDER images to rotate through', Number, 48)
    .parse()
    .opts<{ seconds: number; repeats: number; images: number }>();
  const images = pickImages(flags.images);
  const concurrencies = [1, 8, 32];
  const settings = { model: MODEL, maxBatch: 8, maxDelayMs: 2 };

  // Both sides stay up for the whole run and are measured in alternation, point by point, so the speed swings of
  // a shared machine hit both alike; figures are the medians over the rounds.
  const detector = await Detector.create(settings);
  const server = await startServer(['--model', MODEL, '--max-batch', '8', '--max-delay-ms', '2']);
  const requests = images.map((body) => ({
    method: 'POST' as const,
    path: '/detect',
    headers: { 'content-type': 'image/jpeg' },
    body,
  }));
  await inProcess(detector, images, 8, 2); // warm-ups, excluded
  await overHttp(server.address, requests, 8, 2);
  const libraryRuns: Record<number, number[]> = {};
  const httpRuns: Record<number, ServerPoint[]> = {};
  const roundRatios: number[] = [];
  for (let round = 0; round < flags.repeats; round++) {
    const roundLibrary: number[] = [];
    let roundServer8 = 0;
    for (const c of concurrencies) {
      const library = await inProcess(detector, images, c, flags.seconds);
      const http = await overHttp(server.address, requests, c, flags.seconds);
      (libraryRuns[c] ??= []).push(library);
      (httpRuns[c] ??= []).push(http);
      roundLibrary.push(library);
      if (c === 8) roundServer8 = http.rps;
      console.error(
        `round ${round + 1}, concurrency ${c}: in-process ${library.toFixed(1)} images/s; server ${http.rps.toFixed(1)} req/s, ` +
          `p50 ${http.p50} ms, p99 ${http.p99} ms`,
      );
    }
    roundRatios.push(roundServer8 / Math.max(...roundLibrary));
  }
  await detector.close();
  await server.stop();

  const library = Object.fromEntries(concurrencies.map((c) => [c, median(libraryRuns[c]!)]));
  const http = Object.fromEntries(
    concurrencies.map((c) => {
      const runs = httpRuns[c]!;
      const pick = [...runs].sort((a, b) => a.rps - b.rps)[runs.length >> 1]!; // the median run, latencies included
      return [
        c,
        { ...pick, errors: runs.reduce((n, r) => n + r.errors, 0), non2xx: runs.reduce((n, r) => n + r.non2xx, 0) },
      ];
    }),
  ) as Record<number, ServerPoint>;
  const best = Math.max(...Object.values(library));
  const ratio = http[8]!.rps / best;
  const result = {
    benchmark: 'serve-load',
    machine: describeMachine(),
    settings: {
      ...settings,
      model: path.basename(MODEL),
      inputSize: 640,
      backend: 'cpu',
      images: images.length,
      seconds: flags.seconds,
      repeats: flags.repeats,
    },
    inProcessImagesPerSecond: library,
    inProcessRuns: libraryRuns,
    bestInProcess: best,
    http,
    httpRuns,
    serverAtConcurrency8VsBestInProcess: ratio,
    /** The same ratio within each round (server at 8 over that round's best in-process point). */
    roundRatios,
  };
  const day = result.machine.date.slice(0, 10);
  const range = (values: number[]) => `${Math.min(...values).toFixed(1)}-${Math.max(...values).toFixed(1)}`;
  const rows = concurrencies.map(
    (c) =>
      `| ${c} | ${library[c]!.toFixed(1)} [${range(libraryRuns[c]!)}] | ${http[c]!.rps.toFixed(1)} [${range(
        httpRuns[c]!.map((r) => r.rps),
      )}] | ${http[c]!.p50} | ${http[c]!.p99} | ${http[c]!.non2xx + http[c]!.errors} |`,
  );
  const md = [
    `# retinaface serve: load test (${day})`,
    '',
    `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, onnxruntime-node ${result.machine.onnxruntime}, no GPU (CPU backend).`,
    `Settings: MobileNet-0.25, 640 letterbox, maxBatch 8, maxDelayMs 2; ${images.length} WIDER val JPEGs rotated; ${flags.seconds} s per point; ` +
      `${flags.repeats} rounds, in-process and server measured in alternation; medians [min-max]; autocannon on 127.0.0.1, on the same cores.`,
    '',
    '| concurrency | in-process images/s | server req/s | p50 ms | p99 ms | errors |',
    '| --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
    `Server at concurrency 8 / best in-process: **${(100 * ratio).toFixed(1)}%** (goal >= 90%); per round: ${roundRatios
      .map((r) => `${(100 * r).toFixed(1)}%`)
      .join(', ')}.`,
    '',
    'Reproduce: `npm run build && npm run bench:serve`',
    '',
  ].join('\n');
  writeReport(path.join(RESULTS_DIR, `serve-load-${day}`), result, md);
  console.log(md);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
