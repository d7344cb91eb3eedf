/**
 * Steady memory of a detector fed large photos (issue 21): detects of 2000x1400 JPEGs (four shared photos scaled up
 * with sharp), from encoded buffers and from decoded pixels, at concurrency 1 and 8, with libvips' operation cache on
 * (sharp's default, the library as it was) and off (`sharp.cache(false)`); then `retinaface serve` under load on the
 * same JPEGs, with its cache off (the default now) and on (`--sharp-cache`, the server as it was). Every run is a
 * fresh process; its RSS (VmRSS of /proc/<pid>/status) is sampled every 200 ms, and "steady" is the median of the
 * samples of the second half of the run. The machine's load averages are recorded: RSS, not speed, is the figure.
 *   npm run bench:memory [-- --count 2000] [--only library|serve] [--parallel]
 * --parallel runs every process side by side (RSS is per process; only speed suffers):
 * for a machine too loaded to run ten of them in a row.
 * Writes benchmarks/results/memory-<date>[-<count>].{json,md}.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { Detector } from '../lib';
import { describeMachine } from './common/machine';
import { startServer } from './common/server-process';
import { median } from './harness/stats';
import { RESULTS_DIR, writeReport } from './common/report';

const SHARED = path.resolve(__dirname, '../../shared');
const MODEL = path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx');
const PHOTOS = ['fr_two_people.jpg', 'rf_curve_test.jpg', 'dlib_bald_guys.jpg', 'fd1mb_sample.jpg'].map((n) =>
  path.join(SHARED, 'data/photos', n),
);
const WIDTH = 2000;
const HEIGHT = 1400;

type Source = 'buffers' | 'pixels';

interface Run {
  what: 'library' | 'serve' | 'serve, MALLOC_ARENA_MAX=2';
  source: Source;
  concurrency: number;
  sharpCache: boolean;
  count: number;
  steadyRssMB: number;
  peakRssMB: number;
  seconds: number;
  perSecond: number;
  loadAverage: [number, number, number];
}

async function largeJpegs(): Promise<Buffer[]> {
  return Promise.all(
    PHOTOS.map((file) => sharp(file).resize(WIDTH, HEIGHT, { fit: 'cover' }).jpeg({ quality: 90 }).toBuffer()),
  );
}

const mb = (bytes: number) => Math.round((bytes / 2 ** 20) * 10) / 10;

function rssOf(pid: number): number {
  try {
    return Number(/VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1] ?? 0) * 1024;
  } catch {
    return 0; // exited between two samples
  }
}

/** Samples `pid`'s RSS every 200 ms until stop(); returns steady (median of the second half) and peak. */
function sampleRss(pid: number): { stop(): { steady: number; peak: number } } {
  const samples: number[] = [];
  const timer = setInterval(() => {
    const rss = rssOf(pid);
    if (rss > 0) samples.push(rss);
  }, 200);
  return {
    stop() {
      clearInterval(timer);
      const tail = samples.slice(Math.floor(samples.length / 2));
      return { steady: tail.length ? median(tail) : 0, peak: Math.max(0, ...samples) };
    },
  };
}

/** Runs `count` calls of `work` with `concurrency` callers. */
async function drive(count: number, concurrency: number, work: (i: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < count) await work(next++);
    }),
  );
}

/** In a child process: the detector loop; prints its seconds as JSON. */
async function child(source: Source, concurrency: number, count: number, cache: boolean): Promise<void> {
  if (!cache) sharp.cache(false);
  const jpegs = await largeJpegs();
  const pixels = await Promise.all(
    jpegs.map(async (jpeg) => {
      const { data, info } = await sharp(jpeg).raw().toBuffer({ resolveWithObject: true });
      return { data, width: info.width, height: info.height, channels: info.channels as 3 };
    }),
  );
  const detector = await Detector.create({ model: MODEL, backend: 'cpu' });
  const started = performance.now();
  await drive(count, concurrency, async (i) => {
    await detector.detect(source === 'buffers' ? jpegs[i % jpegs.length]! : pixels[i % pixels.length]!);
  });
  const seconds = (performance.now() - started) / 1000;
  await detector.close();
  console.log(JSON.stringify({ seconds }));
}

/** The row of a run: what ran, its RSS in MB, and detects per second over `seconds`. */
function runOf(
  ran: Pick<Run, 'what' | 'source' | 'concurrency' | 'sharpCache' | 'count'>,
  rss: { steady: number; peak: number },
  seconds: number,
  loadAverage: Run['loadAverage'],
): Run {
  return {
    ...ran,
    steadyRssMB: mb(rss.steady),
    peakRssMB: mb(rss.peak),
    seconds,
    perSecond: ran.count / seconds,
    loadAverage,
  };
}

async function libraryRun(source: Source, concurrency: number, count: number, sharpCache: boolean): Promise<Run> {
  const loadAverage = os.loadavg() as Run['loadAverage'];
  const proc = spawn(
    process.execPath,
    [
      '--import',
      'tsx',
      __filename,
      '--child',
      source,
      '--concurrency',
      String(concurrency),
      '--count',
      String(count),
      ...(sharpCache ? ['--sharp-cache'] : []),
    ],
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  const sampler = sampleRss(proc.pid!);
  let out = '';
  proc.stdout.on('data', (chunk: Buffer) => (out += chunk.toString()));
  const code = await new Promise<number | string | null>((resolve) =>
    proc.once('exit', (c, signal) => resolve(c ?? signal)),
  );
  const { steady, peak } = sampler.stop();
  if (code !== 0) throw new Error(`library run ${source} x${concurrency} exited ${code}`);
  const { seconds } = JSON.parse(out.trim().split('\n').pop()!) as { seconds: number };
  return runOf({ what: 'library', source, concurrency, sharpCache, count }, { steady, peak }, seconds, loadAverage);
}

async function serveRun(
  jpegs: Buffer[],
  concurrency: number,
  count: number,
  sharpCache: boolean,
  arenaMax?: number,
): Promise<Run> {
  const loadAverage = os.loadavg() as Run['loadAverage'];
  const server = await startServer(
    ['--model', MODEL, '--backend', 'cpu', ...(sharpCache ? ['--sharp-cache'] : [])],
    arenaMax ? { ...process.env, MALLOC_ARENA_MAX: String(arenaMax) } : undefined,
  );
  const sampler = sampleRss(server.child.pid!);
  const started = performance.now();
  let failures = 0;
  await drive(count, concurrency, async (i) => {
    const res = await fetch(`${server.address}/detect`, {
      method: 'POST',
      headers: { 'content-type': 'image/jpeg' },
      body: jpegs[i % jpegs.length]!,
    });
    await res.arrayBuffer();
    if (res.status !== 200) failures++;
  });
  const seconds = (performance.now() - started) / 1000;
  const { steady, peak } = sampler.stop();
  await server.stop();
  if (failures) throw new Error(`serve run: ${failures} requests failed`);
  const what = arenaMax ? 'serve, MALLOC_ARENA_MAX=2' : 'serve';
  return runOf({ what, source: 'buffers', concurrency, sharpCache, count }, { steady, peak }, seconds, loadAverage);
}

function table(runs: Run[]): string {
  const rows = runs.map(
    (r) =>
      `| ${r.what} | ${r.source} | ${r.concurrency} | ${r.sharpCache ? 'on (before)' : 'off (after)'} | ${r.count} | **${r.steadyRssMB}** | ${r.peakRssMB} | ${r.perSecond.toFixed(1)} | ${r.loadAverage.map((l) => l.toFixed(1)).join(' / ')} |`,
  );
  return [
    '| process | input | concurrency | libvips cache | detects | steady RSS MB | peak RSS MB | detects/s | load avg at start |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
  ].join('\n');
}

async function main(): Promise<void> {
  const program = new Command()
    .option('--count <n>', 'detects per run', (v) => Number(v), 2000)
    .option('--only <what>', 'library | serve')
    .option('--parallel', 'run the processes side by side')
    .option('--arena-max', 'also a server with MALLOC_ARENA_MAX=2')
    .option('--child <source>')
    .option('--concurrency <n>', '', (v) => Number(v), 1)
    .option('--sharp-cache')
    .parse();
  const opts = program.opts<{
    count: number;
    only?: string;
    child?: Source;
    concurrency: number;
    sharpCache?: boolean;
    parallel?: boolean;
    arenaMax?: boolean;
  }>();
  if (opts.child) return child(opts.child, opts.concurrency, opts.count, !!opts.sharpCache);

  const runs: Run[] = [];
  const report = (run: Run) => {
    runs.push(run);
    console.error(
      `${run.what} ${run.source} x${run.concurrency} cache ${run.sharpCache ? 'on' : 'off'}: steady ${run.steadyRssMB} MB, ` +
        `peak ${run.peakRssMB} MB, ${run.perSecond.toFixed(1)}/s, load ${run.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
    );
  };
  const failed: string[] = [];
  const inTurn = async (jobs: (() => Promise<Run>)[]) => {
    if (!opts.parallel) {
      for (const job of jobs) report(await job());
      return;
    }
    for (const result of await Promise.allSettled(jobs.map((job) => job()))) {
      if (result.status === 'fulfilled') report(result.value);
      else failed.push(String((result.reason as Error)?.message ?? result.reason));
    }
  };
  const jobs: (() => Promise<Run>)[] = [];
  if (opts.only !== 'serve') {
    for (const source of ['buffers', 'pixels'] as const) {
      for (const concurrency of [1, 8]) {
        for (const sharpCache of [true, false])
          jobs.push(() => libraryRun(source, concurrency, opts.count, sharpCache));
      }
    }
  }
  if (opts.only !== 'library') {
    const jpegs = await largeJpegs();
    jobs.push(
      () => serveRun(jpegs, 8, opts.count, true),
      () => serveRun(jpegs, 8, opts.count, false),
    );
    if (opts.arenaMax) jobs.push(() => serveRun(jpegs, 8, opts.count, false, 2));
  }
  await inTurn(jobs);

  const date = new Date().toISOString().slice(0, 10);
  const base = path.join(RESULTS_DIR, `memory-${date}${opts.count === 2000 ? '' : `-${opts.count}`}`);
  const machine = describeMachine();
  writeReport(
    base,
    { machine, image: `${WIDTH}x${HEIGHT} JPEG q90`, runs, failed },
    [
      `# Memory: steady RSS, ${WIDTH}x${HEIGHT} JPEGs (${date})`,
      '',
      `\`npm run bench:memory${opts.count === 2000 ? '' : ` -- --count ${opts.count}`}\` on ${machine.cpu}, ${machine.cores} cores (shared with other work: ` +
        'load averages below), Node ' +
        `${machine.node}, onnxruntime-node ${machine.onnxruntime}, sharp ${machine.sharp}. CPU backend, 640 letterbox. ` +
        'Each row is a fresh process; steady = median RSS over the second half of the run. "before" = libvips\' operation cache on ' +
        '(sharp\'s default, and `retinaface serve` before issue 21); "after" = `sharp.cache(false)` (what `retinaface serve` does now). ' +
        'serve rows: `retinaface serve` under 8 concurrent clients on 127.0.0.1.' +
        (opts.parallel
          ? ' Run with --parallel: the processes ran side by side, so detects/s are not comparable across rows.'
          : ''),
      '',
      table(runs),
      '',
      ...(failed.length ? ['Runs that failed: ' + failed.join('; '), ''] : []),
    ].join('\n'),
  );
  console.error(`wrote ${base}.json and .md`);
  if (failed.length) throw new Error(`failed runs: ${failed.join('; ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
