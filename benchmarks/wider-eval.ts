/**
 * Full WIDER FACE evaluation of our pipeline on the shared validation subset, at original scale and letterboxed to
 * 640 (score 0.02, NMS 0.4, no caps, no clipping: the reference settings), compared with the reference AP.
 *
 *   npx tsx benchmarks/wider-eval.ts [--model file.onnx] [--sizes original,640] [--backend auto|cpu|tensorrt]
 *
 * Writes benchmarks/results/wider-eval-<date>.json and .md. Needs ../shared beside the checkout.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { WiderEvaluation } from '../lib/eval/evaluate';
import { loadGroundTruth, SETTINGS } from '../lib/eval/ground-truth';
import type { BackendName } from '../lib/options';
import { evaluateWiderVal } from './harness/accuracy';
import { RESULTS_DIR, writeReport } from './common/report';

const ROOT = path.resolve(__dirname, '..');
const SHARED = path.resolve(ROOT, '../shared');
const IMAGES = path.join(SHARED, 'data/widerface-val/images');
const GT = path.join(SHARED, 'data/widerface-val/gt.json');
const AP_JSON = path.join(SHARED, 'data/reference/ap.json');

// Accepted distance from the reference AP, in AP points (percent).
const TOLERANCE = { original: 0.1, 640: 0.3 } as const;
type Size = keyof typeof TOLERANCE;

interface Run {
  inputSize: Size;
  ap: Record<string, number>;
  apPercent: Record<string, number>;
  referencePercent: Record<string, number>;
  tolerancePoints: number;
  withinTolerance: boolean;
  faces: Record<string, number>;
  images: number;
  detections: number;
  /** Detection and scoring, model already loaded. */
  seconds: number;
  /** Also counting detector creation (model load). */
  totalSeconds: number;
  msPerImage: number;
  backend: string;
}

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

function machine() {
  const cpuinfo = fs.existsSync('/proc/cpuinfo') ? fs.readFileSync('/proc/cpuinfo', 'utf8') : '';
  let nproc = os.availableParallelism();
  try {
    nproc = Number(execFileSync('nproc', { encoding: 'utf8' }).trim());
  } catch {
    // keep Node's count
  }
  return {
    nproc,
    cpu: /^model name\s*:\s*(.+)$/m.exec(cpuinfo)?.[1] ?? os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    os: `${os.type()} ${os.release()} ${os.arch()}`,
    node: process.version,
    // Other work on the machine slows the runs; the 1-minute load average before starting says whether there was any.
    loadAverage1mAtStart: Number(os.loadavg()[0]!.toFixed(2)),
  };
}

async function main(): Promise<void> {
  const host = machine(); // before the runs, so the load average is that of other work
  const model =
    flag('model') ??
    process.env.RETINAFACE_MODEL ??
    path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx');
  const sizes = (flag('sizes') ?? 'original,640')
    .split(',')
    .map((s) => (s === 'original' ? 'original' : Number(s))) as Size[];
  const backend = (flag('backend') ?? 'auto') as BackendName;
  const reference = JSON.parse(fs.readFileSync(AP_JSON, 'utf8')).subset_1096 as Record<
    'orig' | 'lb640',
    Record<string, number>
  >;
  const gt = loadGroundTruth(GT);

  const runs: Run[] = [];
  for (const size of sizes) {
    console.error(`--- input ${size}`);
    let last = 0;
    const started = performance.now();
    const result: WiderEvaluation = await evaluateWiderVal({
      gt,
      model,
      inputSize: size,
      detector: { backend },
      onProgress: ({ done, total }) => {
        if (done - last >= 100 || done === total) {
          last = done;
          console.error(`  ${done}/${total} images`);
        }
      },
    });
    const ref = reference[size === 'original' ? 'orig' : 'lb640'];
    const rows = SETTINGS.map((s) => {
      const ours = result.ap[s] * 100,
        theirs = ref[s]! * 100;
      return {
        setting: s,
        ap: ours,
        reference: theirs,
        diff: ours - theirs,
        ok: Math.abs(ours - theirs) <= TOLERANCE[size],
      };
    });
    for (const r of rows)
      console.error(
        `  ${r.setting.padEnd(6)} ${r.ap.toFixed(2)} (reference ${r.reference.toFixed(2)}, ${r.diff >= 0 ? '+' : ''}${r.diff.toFixed(3)})`,
      );
    console.error(`  ${result.seconds.toFixed(1)} s`);
    runs.push({
      inputSize: size,
      ap: result.ap,
      apPercent: Object.fromEntries(rows.map((r) => [r.setting, Number(r.ap.toFixed(3))])),
      referencePercent: Object.fromEntries(rows.map((r) => [r.setting, Number(r.reference.toFixed(3))])),
      tolerancePoints: TOLERANCE[size],
      withinTolerance: rows.every((r) => r.ok),
      faces: result.faces,
      images: result.images,
      detections: result.detections,
      seconds: Number(result.seconds.toFixed(2)),
      totalSeconds: Number(((performance.now() - started) / 1000).toFixed(2)),
      msPerImage: Number(((result.seconds / result.images) * 1000).toFixed(1)),
      backend: result.detector.backend,
    });
  }

  const date = new Date().toISOString().slice(0, 10);
  const report = {
    date,
    command: `npx tsx benchmarks/wider-eval.ts${process.argv.slice(2).length ? ' ' + process.argv.slice(2).join(' ') : ''}`,
    model: path.relative(ROOT, model),
    images: path.relative(ROOT, IMAGES),
    groundTruth: path.relative(ROOT, GT),
    settings: { scoreThreshold: 0.02, nmsThreshold: 0.4, preNmsTopK: 0, maxFaces: 0, clip: false },
    machine: host,
    runs,
  };
  writeReport(path.join(RESULTS_DIR, `wider-eval-${date}`), report, markdown(report, runs));
  console.error(`wrote benchmarks/results/wider-eval-${date}.{json,md}`);
}

function markdown(
  report: { date: string; command: string; model: string; machine: ReturnType<typeof machine> },
  runs: Run[],
): string {
  const m = report.machine;
  const lines = [
    `# WIDER FACE val subset evaluation, ${report.date}`,
    '',
    `Our pipeline on the 1,096 shared validation images (\`../shared/data/widerface-val\`), scored with our`,
    "implementation of the official protocol (`lib/eval/`), against the reference PyTorch implementation's AP on the",
    'same images (`../shared/data/reference/ap.json`, `subset_1096`). Settings as the reference: score > 0.02,',
    'NMS 0.4, no top-k, no clipping.',
    '',
    `Model \`${report.model}\`; machine: ${m.nproc} CPUs (${m.cpu}), ${m.memoryGiB} GiB, ${m.os}, Node ${m.node}; load average ${m.loadAverage1mAtStart} at the start.`,
    '',
    '| input | easy | medium | hard | reference (easy / medium / hard) | within | images | wall time | per image | backend |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of runs) {
    const ap = r.apPercent as Record<'easy' | 'medium' | 'hard', number>;
    const ref = r.referencePercent as Record<'easy' | 'medium' | 'hard', number>;
    lines.push(
      `| ${r.inputSize} | ${ap.easy.toFixed(2)} | ${ap.medium.toFixed(2)} | ${ap.hard.toFixed(2)} | ` +
        `${ref.easy.toFixed(2)} / ${ref.medium.toFixed(2)} / ${ref.hard.toFixed(2)} | ` +
        `${r.withinTolerance ? 'yes' : 'NO'} (±${r.tolerancePoints}) | ${r.images} | ${r.seconds.toFixed(1)} s | ` +
        `${r.msPerImage.toFixed(0)} ms | ${r.backend} |`,
    );
  }
  lines.push(
    '',
    `Reproduce: \`${report.command}\` (or \`retinaface eval --images ../shared/data/widerface-val/images ` +
      '--gt ../shared/data/widerface-val/gt.json --input-size original|640`).',
    '',
  );
  return lines.join('\n');
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
