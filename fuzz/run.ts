/**
 * Runs every fuzz target and prints, per target, its executions, coverage and findings; exits 1 on any finding.
 *
 *   npm run fuzz                  5 minutes per target (--seconds N to change), seed from the clock
 *   npm run fuzz:ci               20 s per target, fixed seed (the CI step: all targets in about 2 minutes)
 *   npm run fuzz -- --only letterbox,pickle --seconds 60 --seed 7
 *   npm run fuzz -- --js-replay pickle:7:1234      re-runs one JS input (named in its finding) with its stack
 *
 * Native targets (fuzz/native/*_fuzz.cc) are libFuzzer binaries built with clang in build-fuzz/ (ASan + UBSan);
 * their seeds are fuzz/corpus/<target>/ and what they learn stays in build-fuzz/corpus/<target>/. JS targets
 * (fuzz/js/targets.ts) run one process each (fuzz/js/child.ts) that this script watches: an input that runs longer
 * than --input-timeout seconds, a process over --rss-mb of memory, or a crash is a finding too. Findings (the input
 * and what went wrong) land in fuzz-findings/. Lines printed here start with "fuzz:".
 */
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';

const ROOT = path.resolve(__dirname, '..');
const BUILD = path.join(ROOT, 'build-fuzz');
const FINDINGS = path.join(ROOT, 'fuzz-findings');
const NATIVE_TARGETS = ['letterbox', 'postprocess'];
const JS_TARGETS = ['checkpoint', 'pickle', 'onnx', 'onnx-graph', 'matfile', 'ground-truth-mat', 'ground-truth-json'];

const { values } = parseArgs({
  options: {
    ci: { type: 'boolean', default: false },
    seconds: { type: 'string' },
    seed: { type: 'string' },
    only: { type: 'string' },
    jobs: { type: 'string' },
    'input-timeout': { type: 'string', default: '10' },
    'rss-mb': { type: 'string', default: '2048' },
    'js-replay': { type: 'string' },
  },
});
const seconds = Number(values.seconds ?? (values.ci ? 20 : 300));
const seed = Number(values.seed ?? (values.ci ? 42 : Date.now() % 1e9));
const jobs = Number(values.jobs ?? Math.max(1, Math.min(os.cpus().length, 4)));
const inputTimeoutMs = Number(values['input-timeout']) * 1000;
const rssLimitMb = Number(values['rss-mb']);
const only = values.only ? new Set(values.only.split(',')) : undefined;

interface Result {
  target: string;
  executions: number;
  coverage: string;
  findings: string[];
  note?: string;
}

const say = (line: string) => console.log(`fuzz: ${line}`);

function run(command: string, args: string[]): boolean {
  return spawnSync(command, args, { cwd: ROOT, stdio: ['ignore', 'inherit', 'inherit'] }).status === 0;
}

/** Runs a build step quietly; its output is shown only when it fails. */
function quietly(command: string, args: string[]): boolean {
  const result = spawnSync(command, args, { cwd: ROOT, encoding: 'utf8', maxBuffer: 64 << 20 });
  if (result.status !== 0) process.stdout.write(`${result.stdout ?? ''}${result.stderr ?? ''}`.slice(-20000));
  return result.status === 0;
}

function buildNative(): string | undefined {
  if (spawnSync('clang++', ['--version']).status !== 0) return 'clang++ is not installed (apt-get install clang)';
  const configured = fs.existsSync(path.join(BUILD, 'CMakeCache.txt'));
  if (
    !configured &&
    !quietly('cmake', [
      '-S',
      ROOT,
      '-B',
      BUILD,
      '-DCMAKE_BUILD_TYPE=RelWithDebInfo',
      '-DCMAKE_CXX_COMPILER=clang++',
      '-DRETINAFACE_FUZZ=ON',
      '-DRETINAFACE_WITH_CUDA=OFF',
    ])
  ) {
    return 'cmake could not configure build-fuzz';
  }
  const targets = NATIVE_TARGETS.flatMap((t) => ['--target', `retinaface_fuzz_${t}`]);
  if (!quietly('cmake', ['--build', BUILD, '-j', String(jobs), ...targets])) return 'the fuzz targets do not build';
  return undefined;
}

/** Starts a child at lower priority: fuzzing shares the machine. */
function spawnNice(command: string, args: string[]) {
  const child = spawn(command, args, { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] });
  try {
    if (child.pid) os.setPriority(child.pid, 10);
  } catch {
    // not permitted: run at normal priority
  }
  return child;
}

async function fuzzNative(target: string): Promise<Result> {
  const corpus = path.join(BUILD, 'corpus', target);
  fs.mkdirSync(corpus, { recursive: true });
  fs.mkdirSync(FINDINGS, { recursive: true });
  const child = spawnNice(path.join(BUILD, `retinaface_fuzz_${target}`), [
    `-max_total_time=${seconds}`,
    `-timeout=${Math.ceil(inputTimeoutMs / 1000)}`,
    `-rss_limit_mb=${rssLimitMb}`,
    `-seed=${seed}`,
    '-print_final_stats=1',
    `-artifact_prefix=${FINDINGS}/${target}-`,
    corpus,
    path.join(ROOT, 'fuzz/corpus', target),
  ]);
  let log = '';
  child.stdout.on('data', (chunk) => (log += chunk));
  child.stderr.on('data', (chunk) => {
    log += chunk;
    if (log.length > 4 << 20) log = log.slice(-(1 << 20));
  });
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const executions = Number(/stat::number_of_executed_units:\s*(\d+)/.exec(log)?.[1] ?? 0);
  const lastStatus = [...log.matchAll(/#\d+\s+\w+\s+cov: (\d+) ft: (\d+) corp: (\d+)/g)].at(-1);
  const peak = /stat::peak_rss_mb:\s*(\d+)/.exec(log)?.[1];
  const findings: string[] = [];
  if (code !== 0) {
    const what =
      /(ERROR: \w+Sanitizer: [^\n]*|runtime error: [^\n]*|ERROR: libFuzzer: [^\n]*|\w+_fuzz: [^\n]*)/.exec(log)?.[1] ??
      `exit ${code}`;
    const artifact = /Test unit written to (\S+)/.exec(log)?.[1] ?? '(no artifact)';
    fs.writeFileSync(path.join(FINDINGS, `${target}-log.txt`), log);
    findings.push(`${what} -> ${artifact} (log ${path.relative(ROOT, path.join(FINDINGS, `${target}-log.txt`))})`);
  }
  return {
    target: `native ${target}`,
    executions,
    coverage: lastStatus ? `cov ${lastStatus[1]} ft ${lastStatus[2]} corpus ${lastStatus[3]}` : 'cov ?',
    findings,
    note: peak ? `peak rss ${peak} MB` : undefined,
  };
}

interface ChildSummary {
  executions: number;
  slowestMs: number;
  outcomes: Record<string, number>;
  findings: { signature: string; index: number; file: string }[];
  coverage: { covered: number; total: number; files: number };
}

function rssMb(pid: number): number {
  try {
    const kb = /VmRSS:\s+(\d+)/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'))?.[1];
    return kb ? Number(kb) / 1024 : 0;
  } catch {
    return 0;
  }
}

const CHILD = [process.execPath, '--max-old-space-size=1536', '--import', 'tsx', path.join(__dirname, 'js/child.ts')];

/** One child for `budget` seconds; a hang, a memory blow-up or a crash ends it early and is returned as a finding. */
async function jsChild(target: string, childSeed: number, budget: number) {
  const status = path.join(os.tmpdir(), `fuzz-status-${process.pid}-${target}`);
  fs.writeFileSync(status, '');
  const work = fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), `fuzz-${target}-`));
  const child = spawnNice(CHILD[0]!, [
    ...CHILD.slice(1),
    target,
    '--seconds',
    String(budget),
    '--seed',
    String(childSeed),
    '--status',
    status,
    '--findings',
    FINDINGS,
    '--work',
    work,
  ]);
  let out = '';
  child.stdout.on('data', (chunk: Buffer) => {
    out += chunk;
    const lines = out.split('\n');
    out = lines.pop()!;
    for (const line of lines) {
      if (line.startsWith('FUZZ-CHILD ')) summary = JSON.parse(line.slice('FUZZ-CHILD '.length)) as ChildSummary;
      else if (line.startsWith('fuzz: ')) console.log(line);
    }
  });
  let errors = '';
  child.stderr.on('data', (chunk: Buffer) => (errors = (errors + chunk).slice(-8192)));
  let summary: ChildSummary | undefined;
  let killedFor: string | undefined;
  let index = -1;
  let since = Date.now();
  let peakMb = 0;
  const started = Date.now();
  const watch = setInterval(() => {
    const text = fs.readFileSync(status, 'utf8').trim();
    const now = text === '' ? -1 : Number(text);
    if (now !== index) {
      index = now;
      since = Date.now();
    }
    const rss = child.pid ? rssMb(child.pid) : 0;
    peakMb = Math.max(peakMb, rss);
    // Preparing the seeds (index -1) may take a while; once inputs run, each gets inputTimeoutMs.
    const limit = index < 0 ? Math.max(120_000, inputTimeoutMs) : inputTimeoutMs;
    if (Date.now() - since > limit && Date.now() - started < (budget + 60) * 1000)
      killedFor = `hang (run ${index} took over ${limit / 1000} s)`;
    else if (Date.now() - started > (budget + 120) * 1000)
      killedFor = `hang (the process outlived its ${budget} s by 2 minutes)`;
    else if (rss > rssLimitMb) killedFor = `memory (rss ${Math.round(rss)} MB > ${rssLimitMb} MB at run ${index})`;
    if (killedFor) child.kill('SIGKILL');
  }, 200);
  const exit = await new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('close', (code, signal) => resolve({ code, signal })),
  );
  clearInterval(watch);
  fs.rmSync(status, { force: true });
  fs.rmSync(work, { recursive: true, force: true });
  let crash: string | undefined;
  if (!summary) {
    const fatal = /(Fatal[^\n]*|FATAL ERROR[^\n]*|Error[^\n]*)/.exec(errors)?.[1];
    crash = killedFor ?? `crash (exit ${exit.code ?? exit.signal} at run ${index}${fatal ? `: ${fatal.trim()}` : ''})`;
    if (index >= 0) {
      fs.mkdirSync(FINDINGS, { recursive: true });
      const file = path.join(FINDINGS, `${target}-${crash.split(' ')[0]}-${childSeed}-${index}.bin`);
      spawnSync(
        CHILD[0]!,
        [...CHILD.slice(1), target, '--seed', String(childSeed), '--replay', String(index), '--dump', file],
        { cwd: ROOT },
      );
      fs.writeFileSync(
        `${file.slice(0, -4)}.txt`,
        `${crash}\nreplay: npm run fuzz -- --js-replay ${target}:${childSeed}:${index}\n\n${errors}`,
      );
      crash += ` -> ${path.relative(ROOT, file)}`;
    }
  }
  return {
    summary,
    crash,
    executions: summary?.executions ?? Math.max(0, index),
    peakMb,
    elapsed: (Date.now() - started) / 1000,
  };
}

async function fuzzJs(target: string): Promise<Result> {
  const deadline = Date.now() + seconds * 1000;
  let executions = 0,
    peakMb = 0,
    slowestMs = 0,
    childSeed = seed;
  const findings: string[] = [];
  const outcomes: Record<string, number> = {};
  let coverage = 'coverage ?';
  // After a hang or a crash, go on with the next seed for whatever time is left.
  for (;;) {
    const budget = Math.max(1, Math.round((deadline - Date.now()) / 1000));
    const r = await jsChild(target, childSeed++, budget);
    executions += r.executions;
    peakMb = Math.max(peakMb, r.peakMb);
    if (r.crash) findings.push(r.crash);
    if (r.summary) {
      slowestMs = Math.max(slowestMs, r.summary.slowestMs);
      for (const f of r.summary.findings) findings.push(`${f.signature} -> ${path.relative(ROOT, f.file)}`);
      for (const [k, v] of Object.entries(r.summary.outcomes)) outcomes[k] = (outcomes[k] ?? 0) + v;
      const c = r.summary.coverage;
      coverage = `js block coverage ${c.total ? ((100 * c.covered) / c.total).toFixed(1) : '?'}% of ${c.files} files`;
    }
    if (r.summary || deadline - Date.now() < 3000) break;
  }
  const top = Object.entries(outcomes)
    .sort((a, b) => b[1] - a[1])
    .slice(0, 4)
    .map(([k, v]) => `${k} ${v}`)
    .join(', ');
  return {
    target: `js ${target}`,
    executions,
    coverage,
    findings,
    note: `slowest input ${slowestMs} ms, peak rss ${Math.round(peakMb)} MB; ${top}`,
  };
}

async function pool<T>(tasks: (() => Promise<T>)[], width: number): Promise<T[]> {
  const results: T[] = new Array(tasks.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(width, tasks.length) }, async () => {
      while (next < tasks.length) {
        const i = next++;
        results[i] = await tasks[i]!();
      }
    }),
  );
  return results;
}

async function main(): Promise<void> {
  if (values['js-replay']) {
    const [target, replaySeed, index] = values['js-replay'].split(':');
    process.exitCode = run(CHILD[0]!, [
      ...CHILD.slice(1),
      target!,
      '--seed',
      replaySeed!,
      '--replay',
      index!,
      '--findings',
      FINDINGS,
    ])
      ? 0
      : 1;
    return;
  }
  const started = Date.now();
  const natives = NATIVE_TARGETS.filter((t) => !only || only.has(t));
  const scripts = JS_TARGETS.filter((t) => !only || only.has(t));
  say(`${natives.length + scripts.length} targets, ${seconds} s each, seed ${seed}, ${jobs} at a time`);
  const tasks: (() => Promise<Result>)[] = [];
  if (natives.length) {
    const problem = buildNative();
    if (problem) {
      say(`native targets not run: ${problem}`);
      tasks.push(async () => ({ target: 'native build', executions: 0, coverage: '-', findings: [problem] }));
    } else {
      say(`native targets built in ${((Date.now() - started) / 1000).toFixed(0)} s`);
      for (const t of natives) tasks.push(() => fuzzNative(t));
    }
  }
  for (const t of scripts) tasks.push(() => fuzzJs(t));
  const results = await pool(tasks, jobs);
  let findings = 0;
  for (const r of results) {
    findings += r.findings.length;
    say(
      `${r.target}: ${r.executions} execs, ${r.coverage}, ${r.findings.length} findings${r.note ? ` (${r.note})` : ''}`,
    );
    for (const f of r.findings) say(`  finding: ${f}`);
  }
  say(
    `${findings === 0 ? 'clean' : `${findings} findings (inputs in fuzz-findings/)`} after ${((Date.now() - started) / 1000).toFixed(0)} s`,
  );
  process.exitCode = findings === 0 ? 0 : 1;
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
