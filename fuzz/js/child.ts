/**
 * One fuzz target in its own process (fuzz/js/run.ts starts it and watches it for hangs, memory and crashes).
 *
 *   node --import tsx fuzz/js/child.ts <target> --seconds N --seed S --status FILE --findings DIR [--work DIR]
 *   node --import tsx fuzz/js/child.ts <target> --seed S --replay K [--dump FILE]
 *
 * fast-check generates a mutation recipe per run from (seed, run index), so run K of seed S is always the same
 * input: --replay runs it alone (with the error's stack), --dump only writes its bytes. Before each run the index
 * goes to the status file, which is how the parent names the input a hang or a crash happened on.
 * The last stdout line is `FUZZ-CHILD {json}` with the executions, outcomes, findings and block coverage.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import inspector from 'node:inspector';
import os from 'node:os';
import path from 'node:path';
import { parseArgs } from 'node:util';
import fc from 'fast-check';

interface Coverage {
  covered: number;
  total: number;
  files: number;
}

// Block coverage of the reader sources, from V8 (started before they load, so every function has counters).
const session = new inspector.Session();
session.connect();
const post = <T>(method: string, params?: object) =>
  new Promise<T>((resolve, reject) =>
    session.post(method, params ?? {}, (error, result) => (error ? reject(error) : resolve(result as T))),
  );

interface V8Range {
  startOffset: number;
  endOffset: number;
  count: number;
}
interface V8Script {
  url: string;
  functions: { ranges: V8Range[] }[];
}

async function blockCoverage(fragments: string[]): Promise<Coverage> {
  const { result } = await post<{ result: V8Script[] }>('Profiler.takePreciseCoverage');
  let covered = 0,
    total = 0,
    files = 0;
  for (const script of result) {
    const url = script.url.replace(/^file:\/\//, '');
    if (!fragments.some((f) => url.includes(`/${f}`)) || url.includes('node_modules')) continue;
    const ranges = script.functions.flatMap((f) => f.ranges);
    const length = Math.max(0, ...ranges.map((r) => r.endOffset));
    const hit = new Uint8Array(length);
    // Outer ranges first, inner ones override them (V8 nests a function's block ranges inside its own range).
    ranges.sort((a, b) => a.startOffset - b.startOffset || b.endOffset - a.endOffset);
    for (const r of ranges) hit.fill(r.count > 0 ? 1 : 0, r.startOffset, r.endOffset);
    files++;
    total += length;
    covered += hit.reduce((n, v) => n + v, 0);
  }
  return { covered, total, files };
}

function signature(error: unknown): string {
  const e = error as { name?: string; code?: string; message?: string; stack?: string };
  const frame = (e?.stack ?? '').split('\n').find((line) => /\/lib\//.test(line)) ?? '';
  const message = String(e?.message ?? error)
    .split('\n')[0]!
    .replace(/\d+/g, 'N')
    .slice(0, 160);
  return `${e?.name ?? typeof error}${e?.code ? ` ${e.code}` : ''}: ${message} @ ${frame.trim().replace(/:\d+:\d+\)?$/, '')}`;
}

async function main(): Promise<void> {
  const { positionals, values } = parseArgs({
    allowPositionals: true,
    options: {
      seconds: { type: 'string', default: '20' },
      seed: { type: 'string', default: '42' },
      status: { type: 'string' },
      findings: { type: 'string', default: 'fuzz-findings' },
      replay: { type: 'string' },
      dump: { type: 'string' },
      work: { type: 'string' },
    },
  });
  await post('Profiler.enable');
  await post('Profiler.startPreciseCoverage', { callCount: true, detailed: true });
  // Loaded only now, so that V8 counts blocks in every function of the readers.
  /* eslint-disable @typescript-eslint/no-require-imports -- a static import would load them before coverage starts */
  const { TARGETS } = require('./targets') as typeof import('./targets');
  const { RetinaFaceError } = require('../../lib/errors') as typeof import('../../lib/errors');
  const { applyRecipe, recipeArbitrary } = require('./mutate') as typeof import('./mutate');
  /* eslint-enable @typescript-eslint/no-require-imports */

  const target = TARGETS.find((t) => t.name === positionals[0]);
  if (!target) throw new Error(`unknown target ${positionals[0]} (known: ${TARGETS.map((t) => t.name).join(', ')})`);
  const seed = Number(values.seed);
  // A scratch folder for files the readers take by path; the parent's when given (it removes it even after a kill).
  const work =
    values.work ??
    fs.mkdtempSync(path.join(fs.existsSync('/dev/shm') ? '/dev/shm' : os.tmpdir(), `fuzz-${target.name}-`));
  const statusFd = values.status ? fs.openSync(values.status, 'w') : undefined;
  try {
    const { seeds, tokens } = await target.prepare(work);
    const arbitrary = recipeArbitrary(seeds.length, target.maxMutations);
    const outcomes = new Map<string, number>();
    const findings = new Map<string, { index: number; file: string }>();
    let index = 0;
    let slowest = 0;

    const runOne = async (input: Uint8Array): Promise<void> => {
      const started = performance.now();
      let label: string;
      try {
        label = (await target.run(input, work)).replace(/\d+/g, 'N');
      } catch (error) {
        if (error instanceof RetinaFaceError && target.expected.includes(error.code)) {
          label = error.code;
        } else {
          label = 'FINDING';
          const sig = signature(error);
          if (values.replay !== undefined) console.error(error);
          if (!findings.has(sig)) {
            fs.mkdirSync(values.findings!, { recursive: true });
            const file = path.join(
              values.findings!,
              `${target.name}-${createHash('sha1').update(sig).digest('hex').slice(0, 10)}.bin`,
            );
            fs.writeFileSync(file, input);
            fs.writeFileSync(
              `${file.slice(0, -4)}.txt`,
              `target ${target.name}, seed ${seed}, run ${index}\nreplay: npm run fuzz -- --js-replay ${target.name}:${seed}:${index}\n\n${(error as Error)?.stack ?? String(error)}\n`,
            );
            findings.set(sig, { index, file });
            console.log(`fuzz: js ${target.name} finding at run ${index}: ${sig} -> ${file}`);
          }
        }
      }
      slowest = Math.max(slowest, performance.now() - started);
      outcomes.set(label, (outcomes.get(label) ?? 0) + 1);
    };

    const property = (onInput: (input: Uint8Array) => Promise<void>) =>
      fc.asyncProperty(arbitrary, async (recipe) => {
        await onInput(applyRecipe(seeds, tokens, recipe));
        return true; // findings are recorded, never thrown: fuzzing goes on after one
      });

    if (values.replay !== undefined) {
      index = Number(values.replay);
      await fc.assert(
        property(async (input) => {
          if (values.dump) fs.writeFileSync(values.dump, input);
          else await runOne(input);
          if (!values.dump)
            console.log(
              `fuzz: js ${target.name} replay of run ${index} (seed ${seed}, ${input.length} bytes): ${[...outcomes.keys()][0]}`,
            );
        }),
        { seed, path: String(index), numRuns: 1 },
      );
      return;
    }

    const started = performance.now();
    index = 0;
    // fast-check's time limit resolves fc.assert without waiting for the run in flight: wait for it here.
    let inFlight: Promise<void> = Promise.resolve();
    await fc.assert(
      property(async (input) => {
        if (statusFd !== undefined) fs.writeSync(statusFd, `${String(index).padEnd(12)}\n`, 0);
        inFlight = runOne(input);
        await inFlight;
        index++;
      }),
      {
        seed,
        numRuns: 2 ** 31 - 1,
        interruptAfterTimeLimit: Number(values.seconds) * 1000,
        markInterruptAsFailure: false,
      },
    );
    await inFlight;
    const coverage = await blockCoverage(target.covers);
    const summary = {
      target: target.name,
      seed,
      executions: index,
      seconds: (performance.now() - started) / 1000,
      slowestMs: Math.round(slowest),
      outcomes: Object.fromEntries([...outcomes].sort((a, b) => b[1] - a[1])),
      findings: [...findings].map(([sig, f]) => ({ signature: sig, ...f })),
      coverage,
    };
    console.log(`FUZZ-CHILD ${JSON.stringify(summary)}`);
  } finally {
    if (statusFd !== undefined) fs.closeSync(statusFd);
    if (!values.work) fs.rmSync(work, { recursive: true, force: true });
  }
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 2;
});
