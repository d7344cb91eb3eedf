/**
 * What one letterbox costs onnxruntime on this machine, by where it runs (the diagnosis behind ours / raw in
 * bench.ts). Raw session.run at batch 1 on 640x640 tensors, in blocks of iterations that take turns:
 *   plain    the run alone (raw's loop)
 *   overlap  a letterbox posted to the job thread just before the run, into the tensor the next run reads (what
 *            the detector's staged pipeline does)
 *   serial   the letterbox awaited, then the run (letterboxing between inferences)
 *   alone    the letterbox alone, no inference
 * Per mode the trimmed mean (10% each side) of whole cycles, the first iterations of each block left out (the
 * other modes' onnxruntime worker still spins for about 40 ms after their last run). Writes
 * benchmarks/results/letterbox-overlap-<date>.{json,md}.
 *   npx tsx benchmarks/letterbox-overlap.ts [--iterations 2400] [--block 10]
 */
import path from 'node:path';
import { Command } from 'commander';
import * as ort from 'onnxruntime-node';
import { binding } from '../lib/binding';
import { describeMachine } from './common/machine';
import { RESULTS_DIR, writeReport } from './common/report';
import { BENCH_MODEL, loadImages } from './harness/images';
import { createRawSession } from './harness/measure';
import { trimmedMean } from './harness/stats';

const MODES = ['plain', 'overlap', 'serial', 'alone'] as const;
type Mode = (typeof MODES)[number];
const CANVAS = { width: 640, height: 640 };

async function main(): Promise<void> {
  const options = new Command()
    .option('--iterations <n>', 'iterations in all modes together', (v) => Number(v), 2400)
    .option('--block <n>', 'iterations per block of one mode', (v) => Number(v), 10)
    .option('--skip <n>', 'iterations left out at the start of each block', (v) => Number(v), 2)
    .parse()
    .opts<{ iterations: number; block: number; skip: number }>();
  const session = await createRawSession(BENCH_MODEL);
  const images = await loadImages(96);
  const tensors = Array.from({ length: 4 }, () => new Float32Array(3 * CANVAS.width * CANVAS.height));
  for (let t = 0; t < tensors.length; t++) await binding().preprocess([images[t]!.pixels], CANVAS, tensors[t]!);
  const inputs = tensors.map((data) => new ort.Tensor('float32', data, [1, 3, CANVAS.height, CANVAS.width]));
  const inputName = session.inputNames[0]!;
  let nextImage = 0;
  const letterbox = (into: Float32Array) =>
    binding().preprocess([images[nextImage++ % images.length]!.pixels], CANVAS, into);

  const cycles: Record<Mode, number[]> = { plain: [], overlap: [], serial: [], alone: [] };
  for (let n = 0; n < options.iterations; n++) {
    const mode = MODES[Math.floor(n / options.block) % MODES.length]!;
    const into = tensors[(n + 1) % tensors.length]!;
    const t0 = performance.now();
    if (mode === 'overlap') {
      const staged = letterbox(into);
      await session.run({ [inputName]: inputs[n % inputs.length]! });
      await staged;
    } else if (mode === 'serial') {
      await letterbox(into);
      await session.run({ [inputName]: inputs[n % inputs.length]! });
    } else if (mode === 'alone') {
      await letterbox(into);
    } else {
      await session.run({ [inputName]: inputs[n % inputs.length]! });
    }
    if (n % options.block >= options.skip) cycles[mode].push(performance.now() - t0);
  }
  await session.release();

  const ms = Object.fromEntries(MODES.map((m) => [m, trimmedMean(cycles[m])])) as Record<Mode, number>;
  const result = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    settings: options,
    cycleMs: ms,
    // Throughput lost per letterbox, against the letterbox's own time.
    letterboxCostMs: { overlapped: ms.overlap - ms.plain, serial: ms.serial - ms.plain, alone: ms.alone },
    oursOverRawBound: { overlapped: ms.plain / ms.overlap, serial: ms.plain / ms.serial },
  };
  const day = result.date.slice(0, 10);
  const md = [
    `# One letterbox per batch-1 inference: what it costs onnxruntime (${day})`,
    '',
    `${result.machine.cpu}, ${result.machine.cores} cores; ${options.iterations} iterations in blocks of ${options.block}.`,
    '',
    '| mode | ms per cycle | cost of the letterbox, ms | plain / mode |',
    '|---|---|---|---|',
    `| plain run | ${ms.plain.toFixed(2)} | - | 1 |`,
    `| letterbox overlapping the run | ${ms.overlap.toFixed(2)} | ${(ms.overlap - ms.plain).toFixed(2)} | ${(ms.plain / ms.overlap).toFixed(3)} |`,
    `| letterbox, then the run | ${ms.serial.toFixed(2)} | ${(ms.serial - ms.plain).toFixed(2)} | ${(ms.plain / ms.serial).toFixed(3)} |`,
    `| letterbox alone | ${ms.alone.toFixed(2)} | - | - |`,
    '',
  ].join('\n');
  writeReport(path.join(RESULTS_DIR, `letterbox-overlap-${day}`), result, md);
  process.stdout.write(md);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
