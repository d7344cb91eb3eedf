/**
 * The benchmark harness: every backend and precision usable on this machine (CPU FP32 always; TensorRT FP16/FP32
 * where present, else listed as absent with the reason), side by side with the raw onnxruntime-node baseline.
 * Speed: throughput and latency at batch 1/8/32 and concurrency 1/8, a per-stage breakdown, end-to-end (encoded
 * JPEG in) vs from decoded pixels vs inference only. Accuracy: agreement with the FP32 reference and WIDER AP on a
 * slice. Writes JSON + Markdown + an SVG chart to benchmarks/results/ (or --out).
 *   npm run bench -- [--quick] [--out dir]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { Detector, type DetectorOptions } from '../lib';
import { tensorRtUnavailableReason } from '../lib/backends/select';
import { agreement, type AgreementReport, type ApReport, detectAll, widerAp } from './harness/accuracy';
import { throughputChart } from './harness/chart';
import { BENCH_MODEL as MODEL, type BenchImage, loadImages } from './harness/images';
import {
  type Comparison,
  detectorAtBatch,
  detectorAtConcurrency,
  type LoopSettings,
  oursVersusRaw,
  type Throughput,
} from './harness/measure';
import type { Spread } from './harness/stats';
import { describeMachine } from './common/machine';
import { writeReport } from './common/report';

const INPUT_SIZE = 640;

interface Flags {
  quick?: boolean;
  int8Model?: string;
  out: string;
  seconds?: number;
  repeats?: number;
  pairs?: number;
  images?: number;
  accuracyImages?: number;
  batches?: string;
  concurrency?: string;
}

interface Variant {
  id: string;
  backend: 'cpu' | 'tensorrt';
  precision: 'fp32' | 'fp16' | 'int8';
  /** decode: 'fast' lets large JPEGs decode at 1/2, 1/4, 1/8 (only the JPEG-in figures can differ). */
  decode: 'exact' | 'fast';
  /** The model file, where it is not the benchmark's FP32 model (the INT8 QDQ model). */
  model?: string;
  present: boolean;
  /** CPU variants from pixels in alternation with raw FP32 session.run: ours / raw per batch size. */
  oursOverRawFp32?: Record<number, Spread>;
  absentReason?: string;
  /** Ours, from decoded pixels, inference batches of exactly this size. */
  batch?: Record<number, Throughput>;
  /** Ours, from encoded JPEG bytes (sharp decode included). */
  endToEnd?: Record<number, Throughput>;
  concurrency?: Record<number, Throughput & { stages: Record<string, number> }>;
  accuracy?: { vsCpuFp32: AgreementReport; widerAp: ApReport };
}

const list = (value: string | undefined, fallback: number[]) => (value ? value.split(',').map(Number) : fallback);

async function measureVariant(
  variant: Variant,
  images: BenchImage[],
  accuracyImages: BenchImage[],
  loop: LoopSettings,
  pairs: LoopSettings,
  batches: number[],
  concurrency: number[],
  reference: { faces?: import('../lib').Face[][] },
  raw: Record<number, Comparison>,
): Promise<void> {
  const base: DetectorOptions = {
    model: variant.model ?? MODEL,
    backend: variant.backend,
    inputSize: INPUT_SIZE,
    decode: variant.decode,
  };
  // precision is the TensorRT backend's option; the CPU runs the FP32 ONNX as it is.
  const options = (
    variant.backend === 'tensorrt' ? { ...base, precision: variant.precision } : base
  ) as DetectorOptions;
  variant.batch = {};
  variant.endToEnd = {};
  for (const b of batches) {
    const detector = await Detector.create({ ...options, maxBatch: b, maxDelayMs: 5 });
    if (variant.backend === 'cpu' && variant.decode === 'exact') {
      // CPU variants are measured in alternation with the raw FP32 baseline (cpu-fp32's comparison is the baseline).
      // Short windows, many of them, each between two raw windows: a shared machine's speed drifts within seconds.
      // From pixels, decode 'fast' changes nothing: those variants only get the JPEG-in figures.
      const comparison = await oursVersusRaw(detector, MODEL, images, b, INPUT_SIZE, pairs);
      if (variant.id === 'cpu-fp32') raw[b] = comparison;
      (variant.oursOverRawFp32 ??= {})[b] = comparison.ratio;
      variant.batch[b] = comparison.ours;
      log(
        `${variant.id}: raw session.run batch ${b}: ${comparison.raw.imagesPerSecond.median.toFixed(1)} img/s; ours / raw ${comparison.ratio.median.toFixed(3)}`,
      );
    } else {
      variant.batch[b] = await detectorAtBatch(detector, images, b, (i) => i.pixels, loop);
    }
    variant.endToEnd[b] = await detectorAtBatch(detector, images, b, (i) => i.encoded, loop);
    await detector.close();
    log(
      `${variant.id} batch ${b}: ${variant.batch[b]!.imagesPerSecond.median.toFixed(1)} img/s from pixels, ${variant.endToEnd[b]!.imagesPerSecond.median.toFixed(1)} end to end`,
    );
  }
  variant.concurrency = {};
  const shared = await Detector.create({ ...options, maxBatch: 8, maxDelayMs: 2 });
  for (const c of concurrency) {
    variant.concurrency[c] = await detectorAtConcurrency(shared, images, c, (i) => i.encoded, loop);
    log(`${variant.id} concurrency ${c}: ${variant.concurrency[c]!.imagesPerSecond.median.toFixed(1)} img/s`);
  }
  await shared.close();

  const evaluator = await Detector.create({
    ...options,
    scoreThreshold: 0.02,
    preNmsTopK: 0,
    maxFaces: 0,
    clip: false,
  });
  const faces = await detectAll(evaluator, accuracyImages);
  await evaluator.close();
  reference.faces ??= faces; // the first variant is CPU FP32: the reference
  const confident = (list: import('../lib').Face[][]) => list.map((f) => f.filter((x) => x.score >= 0.5));
  variant.accuracy = {
    vsCpuFp32: agreement(confident(reference.faces), confident(faces)),
    widerAp: widerAp(accuracyImages, faces),
  };
}

function log(message: string): void {
  process.stderr.write(`bench: ${message}\n`);
}

const fmt = (v: number, digits = 1) => (Number.isFinite(v) ? v.toFixed(digits) : 'n/a');

function markdown(result: ReturnType<typeof buildResult>): string {
  const m = result.machine;
  const lines = [
    `# retinaface-trt benchmark (${m.date.slice(0, 10)})`,
    '',
    `Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB; GPU: ${m.gpu}; ${m.platform}; Node ${m.node}; onnxruntime-node ${m.onnxruntime}; sharp ${m.sharp}.`,
    `Settings: ${result.settings.model}, ${INPUT_SIZE}x${INPUT_SIZE} letterbox, ${result.settings.images} distinct WIDER val images rotated, ` +
      `${result.settings.repeats} runs of ~${result.settings.seconds} s per point after a warm-up; figures are the median run [min-max]. ` +
      `Ours from pixels and raw session.run in alternation (raw, ours, raw, ...): ${result.settings.pairs} windows of ours, each of ` +
      `at least ${result.settings.pairSeconds} s (and 3 batches) after an untimed warm-up (0.15 s, and a batch), each compared with the mean of the raw ` +
      'windows on either side; ours / raw is the median of those ratios.',
    '',
    '## Throughput (images/s) and latency per call (ms, p50 / p95 / p99); ours keeps 2 x batch callers busy, raw runs whole batches back to back',
    '',
    '| variant | decode | batch | ours from pixels | ours end-to-end (JPEG in) | raw FP32 session.run | ours / raw (pixels) | latency from pixels |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const v of result.variants) {
    if (!v.present) {
      lines.push(`| ${v.id} | ${v.decode} | - | absent: ${v.absentReason} | | | | |`);
      continue;
    }
    for (const b of result.settings.batches) {
      const ours = v.batch![b]!,
        e2e = v.endToEnd![b]!,
        raw = v.backend === 'cpu' ? result.baselines.rawSessionRun[b] : undefined;
      const ratio = v.oursOverRawFp32?.[b];
      const cell = (t: Throughput) =>
        `${fmt(t.imagesPerSecond.median)} [${fmt(t.imagesPerSecond.min)}-${fmt(t.imagesPerSecond.max)}]`;
      const ratioCell = ratio ? `${fmt(ratio.median, 3)} [${fmt(ratio.min, 3)}-${fmt(ratio.max, 3)}]` : '-';
      lines.push(
        `| ${v.id} | ${v.decode} | ${b} | ${cell(ours)} | ${cell(e2e)} | ${raw ? cell(raw) : '-'} | ${ratioCell} | ${fmt(ours.latencyMs.p50)} / ${fmt(ours.latencyMs.p95)} / ${fmt(ours.latencyMs.p99)} |`,
      );
    }
  }
  lines.push(
    '',
    '## Concurrency (JPEG in, dynamic batching maxBatch 8) and where a call spends its time (ms, mean)',
    '',
    '| variant | callers | images/s | p50 / p95 / p99 ms | decode | queue | preprocess | inference | decode+NMS | JS + other |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const v of result.variants.filter((x) => x.present)) {
    for (const c of result.settings.concurrency) {
      const r = v.concurrency![c]!,
        s = r.stages;
      const other = s.totalMs! - s.decodeMs! - s.queueMs! - s.preprocessMs! - s.inferenceMs! - s.postprocessMs!;
      lines.push(
        `| ${v.id} | ${c} | ${fmt(r.imagesPerSecond.median)} | ${fmt(r.latencyMs.p50)} / ${fmt(r.latencyMs.p95)} / ${fmt(r.latencyMs.p99)} | ${fmt(s.decodeMs!)} | ${fmt(s.queueMs!)} | ${fmt(s.preprocessMs!)} | ${fmt(s.inferenceMs!)} | ${fmt(s.postprocessMs!, 2)} | ${fmt(other, 2)} |`,
      );
    }
  }
  lines.push(
    '',
    `## Accuracy against CPU FP32 (faces >= 0.5) and WIDER AP (threshold 0.02, ${result.settings.accuracyImages} val images, ${INPUT_SIZE} letterbox)`,
    '',
    '| variant | faces | matched IoU >= 0.9 | mean IoU | mean landmark error px | AP easy / medium / hard |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const v of result.variants) {
    if (!v.present) {
      lines.push(`| ${v.id} | absent | | | | |`);
      continue;
    }
    const a = v.accuracy!.vsCpuFp32,
      ap = v.accuracy!.widerAp;
    lines.push(
      `| ${v.id} | ${a.referenceFaces} | ${fmt(100 * a.matchedAtIou09, 2)}% | ${fmt(a.meanIou, 4)} | ${fmt(a.meanLandmarkErrorPx, 3)} | ${fmt(100 * ap.easy, 2)} / ${fmt(100 * ap.medium, 2)} / ${fmt(100 * ap.hard, 2)} |`,
    );
  }
  lines.push(
    '',
    `Reproduce: \`npm run build && npm run bench${result.settings.quick ? ' -- --quick' : ''}\`. ` +
      'On a machine with TensorRT and an NVIDIA GPU the same command adds the tensorrt-fp16 / tensorrt-fp32 rows.',
    '',
  );
  return lines.join('\n');
}

function buildResult(
  flags: Flags,
  settings: Record<string, unknown> & { batches: number[]; concurrency: number[] },
  variants: Variant[],
  comparisons: Record<number, Comparison>,
) {
  const raw: Record<number, Throughput> = Object.fromEntries(settings.batches.map((b) => [b, comparisons[b]!.raw]));
  const ratio: Record<number, Spread> = Object.fromEntries(settings.batches.map((b) => [b, comparisons[b]!.ratio]));
  const windows = Object.fromEntries(
    settings.batches.map((b) => [
      b,
      {
        seconds: comparisons[b]!.windowSeconds,
        warmupSeconds: comparisons[b]!.warmupSeconds,
      },
    ]),
  );
  return {
    schema: 'retinaface-bench/1',
    machine: describeMachine(),
    settings: { quick: Boolean(flags.quick), ...settings } as typeof settings & {
      quick: boolean;
      seconds: number;
      repeats: number;
      pairs: number;
      pairSeconds: number;
      images: number;
      accuracyImages: number;
      model: string;
      wallSeconds: number;
    },
    variants,
    baselines: { rawSessionRun: raw, cpuOursOverRaw: ratio, comparisonWindows: windows },
  };
}

async function main(): Promise<void> {
  const flags = new Command()
    .option('--quick', 'short runs (about 2 minutes on 2 cores)')
    .option('--out <dir>', 'where to write results', path.resolve(__dirname, 'results'))
    .option('--seconds <s>', 'seconds per run', Number)
    .option('--repeats <n>', 'runs per point', Number)
    .option('--pairs <n>', 'alternating ours / raw session.run pairs per batch size', Number)
    .option('--images <n>', 'distinct images to rotate through', Number)
    .option('--accuracy-images <n>', 'images for the accuracy comparison', Number)
    .option('--batches <list>', 'batch sizes, e.g. 1,8,32')
    .option('--concurrency <list>', 'caller counts, e.g. 1,8')
    .option(
      '--int8-model <file>',
      'INT8 QDQ model for the cpu-int8 rows (retinaface quantize); without it they are absent',
    )
    .parse()
    .opts<Flags>();
  const loop: LoopSettings = {
    seconds: flags.seconds ?? (flags.quick ? 1 : 4),
    repeats: flags.repeats ?? (flags.quick ? 3 : 5),
  };
  const pairs: LoopSettings = {
    seconds: flags.seconds ?? (flags.quick ? 1 : 1.5),
    repeats: flags.pairs ?? flags.repeats ?? (flags.quick ? 4 : 20),
  };
  const batches = list(flags.batches, [1, 8, 32]);
  const concurrency = list(flags.concurrency, [1, 8]);
  const imageCount = flags.images ?? (flags.quick ? 32 : 96);
  const accuracyCount = flags.accuracyImages ?? (flags.quick ? 40 : 300);
  const started = performance.now();
  const images = await loadImages(imageCount);
  const accuracyImages = await loadImages(accuracyCount);

  const trtReason = tensorRtUnavailableReason();
  const int8Reason = flags.int8Model
    ? fs.existsSync(flags.int8Model)
      ? undefined
      : `no file at ${flags.int8Model}`
    : 'no INT8 model given (retinaface quantize <model> --calibrate <folder> -o m.int8.onnx, then --int8-model m.int8.onnx)';
  const int8 = { model: flags.int8Model, present: !int8Reason, ...(int8Reason ? { absentReason: int8Reason } : {}) };
  const variants: Variant[] = [
    { id: 'cpu-fp32', backend: 'cpu', precision: 'fp32', decode: 'exact', present: true },
    { id: 'cpu-fp32-fast', backend: 'cpu', precision: 'fp32', decode: 'fast', present: true },
    { id: 'cpu-int8', backend: 'cpu', precision: 'int8', decode: 'exact', ...int8 },
    { id: 'cpu-int8-fast', backend: 'cpu', precision: 'int8', decode: 'fast', ...int8 },
    {
      id: 'tensorrt-fp16',
      backend: 'tensorrt',
      precision: 'fp16',
      decode: 'exact',
      present: !trtReason,
      ...(trtReason ? { absentReason: trtReason } : {}),
    },
    {
      id: 'tensorrt-fp32',
      backend: 'tensorrt',
      precision: 'fp32',
      decode: 'exact',
      present: !trtReason,
      ...(trtReason ? { absentReason: trtReason } : {}),
    },
  ];
  const reference: { faces?: import('../lib').Face[][] } = {};
  const raw: Record<number, Comparison> = {};
  for (const variant of variants.filter((v) => v.present)) {
    await measureVariant(variant, images, accuracyImages, loop, pairs, batches, concurrency, reference, raw);
  }
  const result = buildResult(
    flags,
    {
      model: path.basename(MODEL),
      inputSize: INPUT_SIZE,
      seconds: loop.seconds,
      repeats: loop.repeats,
      pairs: pairs.repeats,
      pairSeconds: pairs.seconds,
      images: imageCount,
      accuracyImages: accuracyCount,
      batches,
      concurrency,
      wallSeconds: 0,
    },
    variants,
    raw,
  );
  result.settings.wallSeconds = (performance.now() - started) / 1000;

  const stem = `bench-${result.machine.date.slice(0, 10)}-${os.hostname().replace(/[^\w.-]/g, '_')}${flags.quick ? '-quick' : ''}`;
  fs.mkdirSync(flags.out, { recursive: true });
  const series = [
    ...variants
      .filter((v) => v.present)
      .flatMap((v) => [
        {
          label: `${v.id} ours (pixels)`,
          points: batches.map((b) => ({ batch: b, imagesPerSecond: v.batch![b]!.imagesPerSecond.median })),
        },
        {
          label: `${v.id} ours (JPEG in)`,
          points: batches.map((b) => ({ batch: b, imagesPerSecond: v.endToEnd![b]!.imagesPerSecond.median })),
        },
      ]),
    {
      label: 'raw session.run (CPU)',
      points: batches.map((b) => ({ batch: b, imagesPerSecond: raw[b]!.raw.imagesPerSecond.median })),
    },
  ];
  writeReport(path.join(flags.out, stem), result, markdown(result));
  fs.writeFileSync(
    path.join(flags.out, `${stem}.svg`),
    throughputChart(
      series,
      `Throughput vs batch size (${result.machine.cores} cores, ${result.machine.gpu === 'none' ? 'no GPU' : result.machine.gpu})`,
    ),
  );
  log(`wrote ${path.join(flags.out, stem)}.{json,md,svg} in ${result.settings.wallSeconds.toFixed(0)} s`);
  console.log(markdown(result));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
