/**
 * Soak test of `retinaface serve` on loopback: 20,000 requests in a row, 10% of them malformed (random bytes,
 * truncated JPEGs, empty bodies, text). Checks: the server never dies, every malformed request gets 400, every good
 * one 200, and the server's RSS after warm-up grows < 5% (medians of the first and last 15 s, as RSS jitters). Writes benchmarks/results/serve-soak-<date>.{json,md}.
 *   npx tsx benchmarks/serve-soak.ts [--requests 20000] [--connections 8]
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { describeMachine } from './common/machine';
import { median } from './harness/stats';
import { startServer } from './common/server-process';

const SHARED = path.resolve(__dirname, '../../shared');
const MODEL = path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx');
const PHOTOS = path.join(SHARED, 'data/photos');

function requestMix(): { body: Buffer; type: string; malformed: boolean }[] {
  const good = ['fr_obama_small.jpg', 'fr_two_people.jpg', 'dlib_voc_2008_002470.jpg', 'dlib_tom_cruise_closeup.jpg', 'fr_obama_partial_face.jpg',
    'dlib_voc_2008_001009.jpg', 'dlib_voc_2007_007763.jpg', 'dlib_cars_noface.jpg', 'fr_alex_lacamoire.png']
    .map((n) => ({ body: fs.readFileSync(path.join(PHOTOS, n)), type: n.endsWith('.png') ? 'image/png' : 'image/jpeg', malformed: false }));
  const jpeg = good[1]!.body;
  let seed = 7;
  const random = Buffer.alloc(3000).map(() => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
  // One malformed request in ten, of a different kind each round.
  const malformed: Buffer[] = [jpeg.subarray(0, jpeg.length >> 1), Buffer.from(random), Buffer.alloc(0), Buffer.from('not an image at all'), jpeg.subarray(0, 300)];
  const rounds: { body: Buffer; type: string; malformed: boolean }[] = [];
  for (const bad of malformed) rounds.push(...good, { body: bad, type: 'image/jpeg', malformed: true });
  return rounds; // 50 requests, 5 malformed
}

async function main(): Promise<void> {
  const flags = new Command()
    .option('--requests <n>', 'requests in all', Number, 20_000)
    .option('--connections <n>', 'concurrent connections', Number, 8)
    .parse()
    .opts<{ requests: number; connections: number }>();
  const mix = requestMix();
  const server = await startServer(['--model', MODEL, '--input-size', '320', '--max-batch', '8']);
  const counts = { sent: 0, malformedSent: 0, malformed400: 0, good200: 0, unexpected: [] as string[] };
  const requests = mix.map((m) => ({
    method: 'POST' as const,
    path: '/detect',
    headers: { 'content-type': m.type },
    body: m.body,
    onResponse: (status: number) => {
      counts.sent++;
      if (m.malformed) {
        counts.malformedSent++;
        if (status === 400) counts.malformed400++;
        else counts.unexpected.push(`malformed got ${status}`);
      } else if (status === 200) {
        counts.good200++;
      } else {
        counts.unexpected.push(`good got ${status}`);
      }
    },
  }));
  const warmup = Math.round(flags.requests / 10);
  const start = performance.now();
  await autocannon({ url: server.address, connections: flags.connections, amount: warmup, requests });
  const rssAfterWarmup = server.rss();
  const samples: number[] = [rssAfterWarmup];
  const timer = setInterval(() => samples.push(server.rss()), 1000);
  const run = await autocannon({ url: server.address, connections: flags.connections, amount: flags.requests - warmup, requests });
  clearInterval(timer);
  const rssEnd = server.rss();
  const seconds = (performance.now() - start) / 1000;
  const alive = server.child.exitCode === null;
  const exitCode = await server.stop();
  const pointGrowth = rssEnd / rssAfterWarmup - 1;
  // RSS swings by a few percent from second to second as the allocator takes and returns pages; compare the
  // median of the first and last WINDOW seconds after warm-up, and fit a line to see whether it keeps climbing.
  // A short run shrinks the windows so that they never overlap (down to single samples).
  const WINDOW = Math.max(1, Math.min(15, Math.floor(samples.length / 4)));
  const first = median(samples.slice(0, WINDOW));
  const last = median(samples.slice(-WINDOW));
  const growth = last / first - 1;
  const slopeMiBPerMinute = leastSquaresSlope(samples) * 60 / 2 ** 20;
  const result = {
    benchmark: 'serve-soak',
    machine: describeMachine(),
    settings: { model: path.basename(MODEL), inputSize: 320, maxBatch: 8, connections: flags.connections, requests: flags.requests, malformedShare: 0.1 },
    seconds,
    requestsAnswered: counts.sent,
    good200: counts.good200,
    malformedSent: counts.malformedSent,
    malformed400: counts.malformed400,
    unexpected: counts.unexpected.slice(0, 20),
    connectionErrors: run.errors,
    serverAliveAtEnd: alive,
    serverExitCode: exitCode,
    rssAfterWarmupMiB: rssAfterWarmup / 2 ** 20,
    rssEndMiB: rssEnd / 2 ** 20,
    rssMaxMiB: Math.max(...samples) / 2 ** 20,
    /** Median RSS of the last 15 s over that of the first 15 s after warm-up (shorter windows on a short run), minus 1: the verdict's figure. */
    rssGrowth: growth,
    rssFirstWindowMiB: first / 2 ** 20,
    rssLastWindowMiB: last / 2 ** 20,
    /** From the single sample right after warm-up to the single sample at the end. */
    rssGrowthEndpoints: pointGrowth,
    /** Least-squares trend of the once-a-second samples. */
    rssTrendMiBPerMinute: slopeMiBPerMinute,
    /** Server RSS once a second after warm-up, MiB: a leak climbs steadily, allocator warm-up levels off. */
    rssSamplesMiB: samples.map((v) => Math.round((v / 2 ** 20) * 10) / 10),
    /** Growth over the second half of the run alone. */
    rssGrowthSecondHalf: samples.length > 3 ? samples[samples.length - 1]! / samples[Math.floor(samples.length / 2)]! - 1 : 0,
    pass: alive && exitCode === 0 && counts.unexpected.length === 0 && counts.sent === flags.requests && growth < 0.05,
  };
  const day = result.machine.date.slice(0, 10);
  const outDir = path.resolve(__dirname, 'results');
  fs.mkdirSync(outDir, { recursive: true });
  fs.writeFileSync(path.join(outDir, `serve-soak-${day}.json`), JSON.stringify(result, null, 2) + '\n');
  const md = [
    `# retinaface serve: soak test (${day})`,
    '',
    `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, CPU backend, 320 letterbox.`,
    '',
    `| requests | malformed sent | malformed -> 400 | good -> 200 | other | RSS after warm-up (first ${WINDOW} s) | RSS end (last ${WINDOW} s) | max | growth | time |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
    `| ${counts.sent} | ${counts.malformedSent} | ${counts.malformed400} | ${counts.good200} | ${counts.unexpected.length + run.errors} | ${result.rssFirstWindowMiB.toFixed(1)} MiB | ${result.rssLastWindowMiB.toFixed(1)} MiB | ${result.rssMaxMiB.toFixed(1)} MiB | ${(100 * growth).toFixed(2)}% | ${seconds.toFixed(0)} s |`,
    '',
    `Growth is the median RSS of the last ${WINDOW} s over that of the first ${WINDOW} s after warm-up (${samples.length} samples, one a second). ` +
      `Single samples: ${result.rssAfterWarmupMiB.toFixed(1)} MiB right after warm-up, ${result.rssEndMiB.toFixed(1)} MiB at the end ` +
      `(${(100 * pointGrowth).toFixed(2)}%). Trend over the run: ${slopeMiBPerMinute.toFixed(2)} MiB per minute; ` +
      `second half alone: ${(100 * result.rssGrowthSecondHalf).toFixed(2)}%.`,
    `Server alive to the end and exited ${exitCode} on SIGTERM. Verdict: **${result.pass ? 'pass' : 'FAIL'}**.`,
    '',
    'Reproduce: `npm run build && npx tsx benchmarks/serve-soak.ts`',
    '',
  ].join('\n');
  fs.writeFileSync(path.join(outDir, `serve-soak-${day}.md`), md);
  console.log(md);
  if (!result.pass) process.exitCode = 1;
}

/** Slope of the least-squares line through (i, values[i]), per sample. */
function leastSquaresSlope(values: number[]): number {
  const n = values.length;
  if (n < 2) return 0;
  const meanX = (n - 1) / 2;
  const meanY = values.reduce((a, b) => a + b, 0) / n;
  let num = 0;
  let den = 0;
  values.forEach((y, x) => {
    num += (x - meanX) * (y - meanY);
    den += (x - meanX) ** 2;
  });
  return num / den;
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
