/**
 * Soak test of `retinaface serve` on loopback: 20,000 requests in a row, 10% of them malformed (random bytes,
 * truncated JPEGs, empty bodies, text), and beside them hostile clients on raw sockets: stalled chunked uploads,
 * clients that upload and hang up, malformed multipart on a keep-alive connection followed by a request on the same
 * socket. Checks: the server never dies, every malformed request gets 400, every good one 200, stalled uploads end
 * 408 REQUEST_TIMEOUT, every follow-up on a keep-alive socket is answered, the server's RSS after warm-up grows < 5%
 * (medians of the first and last 15 s, as RSS jitters), and SIGTERM with stalled uploads held open exits 0 within the
 * drain deadline. Writes benchmarks/results/serve-soak-<date>[-<requests>].{json,md}.
 *   npx tsx benchmarks/serve-soak.ts [--requests 20000] [--connections 8] [--stalled 4] [--drain-timeout 3s]
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { Command } from 'commander';
import { describeMachine } from './common/machine';
import { median } from './harness/stats';
import { HostileClients } from './common/hostile-clients';
import { startServer } from './common/server-process';
import { RESULTS_DIR, writeReport } from './common/report';

const SHARED = path.resolve(__dirname, '../../shared');
const MODEL = path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx');
const PHOTOS = path.join(SHARED, 'data/photos');

function requestMix(): { body: Buffer; type: string; malformed: boolean }[] {
  const good = [
    'fr_obama_small.jpg',
    'fr_two_people.jpg',
    'dlib_voc_2008_002470.jpg',
    'dlib_tom_cruise_closeup.jpg',
    'fr_obama_partial_face.jpg',
    'dlib_voc_2008_001009.jpg',
    'dlib_voc_2007_007763.jpg',
    'dlib_cars_noface.jpg',
    'fr_alex_lacamoire.png',
  ].map((n) => ({
    body: fs.readFileSync(path.join(PHOTOS, n)),
    type: n.endsWith('.png') ? 'image/png' : 'image/jpeg',
    malformed: false,
  }));
  const jpeg = good[1]!.body;
  let seed = 7;
  const random = Buffer.alloc(3000).map(() => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
  // One malformed request in ten, of a different kind each round.
  const malformed: Buffer[] = [
    jpeg.subarray(0, jpeg.length >> 1),
    Buffer.from(random),
    Buffer.alloc(0),
    Buffer.from('not an image at all'),
    jpeg.subarray(0, 300),
  ];
  const rounds: { body: Buffer; type: string; malformed: boolean }[] = [];
  for (const bad of malformed) rounds.push(...good, { body: bad, type: 'image/jpeg', malformed: true });
  return rounds; // 50 requests, 5 malformed
}

/** Error codes and answered requests by status, as the server's own /metrics counts them. */
async function scrapeMetrics(
  address: string,
): Promise<{ errorsByCode: Record<string, number>; answeredByStatus: Record<string, number> }> {
  const text = await (await fetch(`${address}/metrics`)).text();
  const errorsByCode: Record<string, number> = {};
  const answeredByStatus: Record<string, number> = {};
  for (const m of text.matchAll(/^retinaface_errors_total\{code="([^"]+)"\} (\d+)/gm))
    errorsByCode[m[1]!] = Number(m[2]);
  for (const m of text.matchAll(
    /^retinaface_http_request_duration_seconds_count\{[^}]*status="(\d+)"[^}]*\} (\d+)/gm,
  )) {
    answeredByStatus[m[1]!] = (answeredByStatus[m[1]!] ?? 0) + Number(m[2]);
  }
  return { errorsByCode, answeredByStatus };
}

function errorCodeOf(body: string): string {
  try {
    return (JSON.parse(body) as { error?: { code?: string } }).error?.code ?? 'no code';
  } catch {
    return 'not JSON';
  }
}

const sum = (values: Record<string, number>) => Object.values(values).reduce((a, b) => a + b, 0);
const list = (values: Record<string, number>) =>
  Object.entries(values)
    .map(([k, v]) => `${k}: ${v}`)
    .join(', ') || 'none';

async function main(): Promise<void> {
  const flags = new Command()
    .option('--requests <n>', 'ordinary requests in all (warm-up included)', Number, 20_000)
    .option('--connections <n>', 'concurrent connections of the ordinary load', Number, 8)
    .option('--stalled <n>', 'stalled uploads held open at any time during the run', Number, 4)
    .option('--disconnect-every-ms <ms>', 'pause between clients that upload and hang up', Number, 100)
    .option('--request-timeout <duration>', "the server's --request-timeout", '5s')
    .option('--drain-timeout <duration>', "the server's --drain-timeout", '3s')
    .option('--stalled-at-shutdown <n>', 'stalled uploads held open when SIGTERM comes', Number, 3)
    .parse()
    .opts<{
      requests: number;
      connections: number;
      stalled: number;
      disconnectEveryMs: number;
      requestTimeout: string;
      drainTimeout: string;
      stalledAtShutdown: number;
    }>();
  const drainMs =
    parseFloat(flags.drainTimeout) *
    (/ms$/.test(flags.drainTimeout) ? 1 : /m$/.test(flags.drainTimeout) ? 60_000 : 1000);
  const mix = requestMix();
  const server = await startServer([
    '--model',
    MODEL,
    '--input-size',
    '320',
    '--max-batch',
    '8',
    '--request-timeout',
    flags.requestTimeout,
    '--drain-timeout',
    flags.drainTimeout,
  ]);
  const port = Number(new URL(server.address).port);
  const counts = {
    sent: 0,
    malformedSent: 0,
    malformed400: 0,
    good200: 0,
    unexpected: [] as string[],
    errorsByCode: {} as Record<string, number>,
  };
  const requests = mix.map((m) => ({
    method: 'POST' as const,
    path: '/detect',
    headers: { 'content-type': m.type },
    body: m.body,
    onResponse: (status: number, body: string) => {
      counts.sent++;
      if (status >= 400) {
        const code = errorCodeOf(body);
        counts.errorsByCode[code] = (counts.errorsByCode[code] ?? 0) + 1;
      }
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
  // The hostile clients run beside the ordinary load for the whole measured part.
  const hostile = new HostileClients(port, mix[1]!.body, {
    stalled: flags.stalled,
    disconnectEveryMs: flags.disconnectEveryMs,
  });
  const run = await autocannon({
    url: server.address,
    connections: flags.connections,
    amount: flags.requests - warmup,
    requests,
  });
  await hostile.stop();
  clearInterval(timer);
  const rssEnd = server.rss();
  const seconds = (performance.now() - start) / 1000;
  const alive = server.child.exitCode === null;
  const serverView = alive ? await scrapeMetrics(server.address) : { errorsByCode: {}, answeredByStatus: {} };
  // Shutdown under the worst case: uploads stalled mid-body must not keep the server alive past its drain deadline.
  const closedBefore = hostile.counts.stalledEndings['closed without an answer'] ?? 0;
  for (let i = 0; i < flags.stalledAtShutdown; i++) await hostile.openStalled();
  await new Promise((r) => setTimeout(r, 200));
  const exit = await server.terminate();
  await new Promise((r) => setTimeout(r, 200));
  hostile.destroyAll();
  const h = hostile.counts;
  const stalledClosedAtShutdown = (h.stalledEndings['closed without an answer'] ?? 0) - closedBefore;
  const exitCode = exit.code;
  const pointGrowth = rssEnd / rssAfterWarmup - 1;
  // RSS swings by a few percent from second to second as the allocator takes and returns pages; compare the
  // median of the first and last WINDOW seconds after warm-up, and fit a line to see whether it keeps climbing.
  // A short run shrinks the windows so that they never overlap (down to single samples).
  const WINDOW = Math.max(1, Math.min(15, Math.floor(samples.length / 4)));
  const first = median(samples.slice(0, WINDOW));
  const last = median(samples.slice(-WINDOW));
  const growth = last / first - 1;
  const slopeMiBPerMinute = (leastSquaresSlope(samples) * 60) / 2 ** 20;
  const hostileOk =
    h.unexpected.length === 0 &&
    Object.keys(h.multipartAnswers).every((k) => k.startsWith('400 ')) &&
    h.followUpsAnswered === h.followUps &&
    Object.keys(h.stalledEndings).every((k) => k === '408 REQUEST_TIMEOUT' || k === 'closed without an answer') &&
    sum(h.stalledEndings) === h.stalledOpened &&
    stalledClosedAtShutdown === flags.stalledAtShutdown;
  const cleanExit = exitCode === 0 && exit.ms < drainMs + 5000;
  const checks: [string, boolean][] = [
    ['server alive to the end', alive],
    ['every ordinary request answered as expected', counts.unexpected.length === 0 && counts.sent === flags.requests],
    ['hostile clients answered as expected', hostileOk],
    ['SIGTERM: exit 0 within drain deadline + 5 s', cleanExit],
    ['RSS growth < 5%', growth < 0.05],
  ];
  const failedChecks = checks.filter(([, ok]) => !ok).map(([name]) => name);
  const result = {
    benchmark: 'serve-soak',
    machine: describeMachine(),
    settings: {
      model: path.basename(MODEL),
      inputSize: 320,
      maxBatch: 8,
      connections: flags.connections,
      requests: flags.requests,
      malformedShare: 0.1,
      stalledHeld: flags.stalled,
      disconnectEveryMs: flags.disconnectEveryMs,
      requestTimeout: flags.requestTimeout,
      drainTimeout: flags.drainTimeout,
      stalledAtShutdown: flags.stalledAtShutdown,
    },
    seconds,
    requestsAnswered: counts.sent,
    good200: counts.good200,
    malformedSent: counts.malformedSent,
    malformed400: counts.malformed400,
    unexpected: counts.unexpected.slice(0, 20),
    connectionErrors: run.errors,
    /** Error answers the ordinary load got, by code. */
    loadErrorsByCode: counts.errorsByCode,
    hostile: { ...h, unexpected: h.unexpected.slice(0, 20), stalledClosedAtShutdown },
    /** The server's own counts (GET /metrics before SIGTERM): requests answered by status, errors by code. */
    serverAnsweredByStatus: serverView.answeredByStatus,
    serverErrorsByCode: serverView.errorsByCode,
    serverRequestsServed: sum(serverView.answeredByStatus),
    serverAliveAtEnd: alive,
    serverExitCode: exitCode,
    serverExitSignal: exit.signal,
    /** From SIGTERM to the process's exit, with stalled uploads held open. */
    shutdownMs: exit.ms,
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
    rssGrowthSecondHalf:
      samples.length > 3 ? samples[samples.length - 1]! / samples[Math.floor(samples.length / 2)]! - 1 : 0,
    hostilePass: hostileOk,
    cleanExit,
    failedChecks,
    pass: failedChecks.length === 0,
  };
  const day = result.machine.date.slice(0, 10);
  const base = flags.requests === 20_000 ? `serve-soak-${day}` : `serve-soak-${day}-${flags.requests}`;
  const md = [
    `# retinaface serve: soak test (${day})`,
    '',
    `Machine: ${result.machine.cpu}, ${result.machine.cores} cores, Node ${result.machine.node}, CPU backend, 320 letterbox; ` +
      `server flags --request-timeout ${flags.requestTimeout} --drain-timeout ${flags.drainTimeout}.`,
    '',
    '## Ordinary load (autocannon, one request in ten malformed)',
    '',
    `| requests | malformed sent | malformed -> 400 | good -> 200 | other | RSS after warm-up (first ${WINDOW} s) | RSS end (last ${WINDOW} s) | max | growth | time |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
    `| ${counts.sent} | ${counts.malformedSent} | ${counts.malformed400} | ${counts.good200} | ${counts.unexpected.length + run.errors} | ${result.rssFirstWindowMiB.toFixed(1)} MiB | ${result.rssLastWindowMiB.toFixed(1)} MiB | ${result.rssMaxMiB.toFixed(1)} MiB | ${(100 * growth).toFixed(2)}% | ${seconds.toFixed(0)} s |`,
    '',
    `Growth is the median RSS of the last ${WINDOW} s over that of the first ${WINDOW} s after warm-up (${samples.length} samples, one a second). ` +
      `Single samples: ${result.rssAfterWarmupMiB.toFixed(1)} MiB right after warm-up, ${result.rssEndMiB.toFixed(1)} MiB at the end ` +
      `(${(100 * pointGrowth).toFixed(2)}%). Trend over the run: ${slopeMiBPerMinute.toFixed(2)} MiB per minute; ` +
      `second half alone: ${(100 * result.rssGrowthSecondHalf).toFixed(2)}%. Error answers to the load by code: ${list(counts.errorsByCode)}.`,
    '',
    '## Hostile clients beside it (raw sockets)',
    '',
    '| kind | sent | how they ended |',
    '| --- | --- | --- |',
    `| stalled chunked uploads (${flags.stalled} held at a time) | ${h.stalledOpened} | ${list(h.stalledEndings)} (closed without an answer = the ${flags.stalledAtShutdown} held at SIGTERM: ${stalledClosedAtShutdown}) |`,
    `| clients that upload, then hang up before the answer | ${h.disconnects} | detections cancelled (server's ABORTED count): ${serverView.errorsByCode['ABORTED'] ?? 0} |`,
    `| malformed multipart on one keep-alive connection | ${sum(h.multipartAnswers)} | ${list(h.multipartAnswers)} |`,
    `| the next request on that same socket (GET /healthz) | ${h.followUps} | ${h.followUpsAnswered} answered 200, slowest ${h.followUpMaxMs.toFixed(0)} ms |`,
    '',
    `Unexpected: ${h.unexpected.length === 0 ? 'none' : h.unexpected.slice(0, 5).join('; ')}.`,
    '',
    `The server's own count (GET /metrics before SIGTERM): ${result.serverRequestsServed} requests answered (${list(serverView.answeredByStatus)}); ` +
      `errors by code: ${list(serverView.errorsByCode)}.`,
    '',
    `Shutdown: SIGTERM with ${flags.stalledAtShutdown} stalled uploads held open; the server exited ${exitCode}` +
      `${exit.signal ? ` (signal ${exit.signal})` : ''} after ${(exit.ms / 1000).toFixed(2)} s (drain deadline ${flags.drainTimeout}). ` +
      `Server alive to the end: ${alive}. Verdict: **${result.pass ? 'pass' : `FAIL (${failedChecks.join('; ')})`}**.`,
    '',
    `Reproduce: \`npm run build && npx tsx benchmarks/serve-soak.ts${flags.requests === 20_000 ? '' : ` --requests ${flags.requests}`}\``,
    '',
  ].join('\n');
  writeReport(path.join(RESULTS_DIR, base), result, md);
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
