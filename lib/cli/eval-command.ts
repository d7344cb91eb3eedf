/** `retinaface eval`: WIDER FACE validation AP of the detector, with a progress bar, optional JSON/SVG/submission. */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { SETTINGS } from '../eval/ground-truth';
import { evaluateWider, type WiderEvaluation } from '../eval/evaluate';
import { formatAp, prCurvesSvg } from '../eval/plot';
import { writeSubmission } from '../eval/submission';
import type { BackendName, InputSize } from '../options';
import { backendOption, inputSizeOption, modelOption, nmsOption, scoreOption } from './detector-flags';

export interface EvalFlags {
  images: string;
  gt: string;
  inputSize: InputSize;
  model?: string;
  score: number;
  nms: number;
  backend: BackendName;
  out?: string;
  plot?: string;
  submission?: string;
  progress: boolean;
}

/** The AP table printed at the end. */
export function formatApTable(result: WiderEvaluation): string {
  const lines = ['setting   AP (%)   faces'];
  for (const s of SETTINGS) lines.push(`${s.padEnd(8)}  ${formatAp(result.ap[s]).padStart(6)}   ${result.faces[s]}`);
  const size =
    result.detector.inputSize === 'original'
      ? 'original'
      : `${result.detector.inputSize.width}x${result.detector.inputSize.height}`;
  lines.push(
    `${result.images} images, ${result.detections} detections, ${result.seconds.toFixed(1)} s ` +
      `(${((result.seconds / result.images) * 1000).toFixed(0)} ms/image; backend ${result.detector.backend}, input ${size})`,
  );
  return lines.join('\n');
}

/** What --out writes: the numbers, the settings that produced them, and the PR curves. */
export function resultsJson(result: WiderEvaluation, flags: EvalFlags): object {
  return {
    ap: result.ap,
    faces: result.faces,
    images: result.images,
    detections: result.detections,
    seconds: result.seconds,
    detector: result.detector,
    scoreThreshold: flags.score,
    nmsThreshold: flags.nms,
    imagesDir: path.resolve(flags.images),
    gt: path.resolve(flags.gt),
    machine: { cpus: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', node: process.version },
    date: new Date().toISOString(),
    curves: result.curves,
  };
}

export async function runEval(flags: EvalFlags): Promise<WiderEvaluation> {
  const bar = flags.progress
    ? new cliProgress.SingleBar(
        {
          format:
            'eval [{bar}] {percentage}% | {value}/{total} images | {duration_formatted} elapsed | ETA {eta_formatted} | {file}',
          etaBuffer: 50,
          hideCursor: true,
          // Redirected to a file, print a line every 10 s instead of redrawing.
          noTTYOutput: true,
          notTTYSchedule: 10_000,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let started = false;
  let result: WiderEvaluation;
  try {
    result = await evaluateWider({
      images: flags.images,
      gt: flags.gt,
      inputSize: flags.inputSize,
      scoreThreshold: flags.score,
      nmsThreshold: flags.nms,
      detector: { backend: flags.backend, ...(flags.model !== undefined ? { model: flags.model } : {}) },
      onProgress: ({ done, total, file }) => {
        if (!bar) return;
        if (!started) {
          bar.start(total, 0, { file: '' });
          started = true;
        }
        bar.update(done, { file });
      },
    });
  } finally {
    if (started) bar?.stop();
  }
  console.log(formatApTable(result));
  if (flags.out) {
    fs.mkdirSync(path.dirname(path.resolve(flags.out)), { recursive: true });
    fs.writeFileSync(flags.out, JSON.stringify(resultsJson(result, flags), null, 2) + '\n');
    console.error(`results: ${flags.out}`);
  }
  if (flags.plot) {
    fs.mkdirSync(path.dirname(path.resolve(flags.plot)), { recursive: true });
    const size =
      result.detector.inputSize === 'original'
        ? 'original size'
        : `${result.detector.inputSize.width}x${result.detector.inputSize.height}`;
    const title = `WIDER FACE val, ${result.images} images, ${size}`;
    fs.writeFileSync(flags.plot, prCurvesSvg({ curves: result.curves, ap: result.ap, title }));
    console.error(`PR curves: ${flags.plot}`);
  }
  if (flags.submission) {
    const n = writeSubmission(flags.submission, result.predictions);
    console.error(`submission: ${n} files under ${flags.submission}`);
  }
  return result;
}

export function registerEvalCommand(program: Command): void {
  program
    .command('eval')
    .description('WIDER FACE evaluation: run the detector on validation images and report AP (easy / medium / hard)')
    .requiredOption('--images <dir>', 'WIDER_val/images folder (or any subset of it, same layout)')
    .requiredOption('--gt <path>', 'gt.json, the ground_truth folder of WIDER .mat files, or wider_face_val.mat')
    .addOption(
      inputSizeOption("network input: 'original' (each image at its own size), 640, or WIDTHxHEIGHT").default(
        'original' as InputSize,
      ),
    )
    .addOption(modelOption())
    .addOption(scoreOption('minimum face score kept for evaluation', 0.02))
    .addOption(nmsOption())
    .addOption(backendOption())
    .option('--out <file>', 'write AP, timing and PR curves as JSON')
    .option('--plot <file>', 'write the three PR curves as an SVG')
    .option('--submission <dir>', 'write detections in the WIDER submission format (<dir>/<event>/<name>.txt)')
    .option('--no-progress', 'no progress bar')
    .action(async (flags: EvalFlags) => {
      await runEval(flags);
    });
}
