/**
 * `verifyTensorRt()`: does TensorRT work on this machine, and does it find the faces the CPU backend finds? Builds
 * (or loads) the FP32 and FP16 engines, runs the images through the CPU backend and through TensorRT, and compares
 * face by face: matched at IoU >= 0.98 (FP32) / 0.95 (FP16), with the worst score and landmark differences, the
 * engine build or load time and images/s at batch 1, 8 and 32. Where TensorRT cannot run it says what is missing
 * (the probe's words and machine-readable `missing`) without opening anything.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Detector } from './detector';
import type { Face } from './faces';
import { probeTensorRt, type EngineEvent, type TensorRtPrecision } from './backends/tensorrt';

/** int8 is not verified here: its faces differ from the float CPU model's beyond these IoU thresholds by design. */
export type VerifyPrecision = Exclude<TensorRtPrecision, 'int8'>;

export interface VerifyOptions {
  images: string[];
  model?: string;
  precisions?: VerifyPrecision[];
  batchSizes?: number[];
  /** Engine cache folder (default: the backend's). */
  cacheDir?: string;
  scoreThreshold?: number;
}

export interface PrecisionReport {
  precision: VerifyPrecision;
  iouThreshold: number;
  /** CPU faces found by TensorRT at that IoU, of all CPU faces (faces within 0.05 of the score threshold may be missing on either side). */
  matched: number;
  cpuFaces: number;
  tensorrtFaces: number;
  unmatched: { image: string; side: 'cpu' | 'tensorrt'; score: number; box: Face['box'] }[];
  worstScoreDiff: number;
  worstLandmarkDiffPx: number;
  worstIou: number;
  engine: { built: boolean; seconds: number; path?: string };
  imagesPerSecond: Record<string, number>;
  ok: boolean;
}

export type VerifyReport =
  | {
      status: 'unavailable';
      reason: string;
      missing: string[];
      layers: { path: string; present: boolean; error?: string }[];
    }
  | { status: 'ok' | 'mismatch'; tensorrtVersion: string; images: string[]; precisions: PrecisionReport[] };

/** Exit codes of `retinaface verify`: 0 every face matched, 1 a mismatch, 2 an error, 3 TensorRT cannot run here. */
export const VerifyExitCodes = { ok: 0, mismatch: 1, error: 2, unavailable: 3 } as const;

const IOU_THRESHOLD: Record<VerifyPrecision, number> = { fp32: 0.98, fp16: 0.95 };
const BORDERLINE = 0.05; // a face this close to the score threshold may fall on either side of it

export function iou(a: Face['box'], b: Face['box']): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0]));
  const h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  const inter = w * h;
  const union = (a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter;
  return union > 0 ? inter / union : 0;
}

/** Greedy one-to-one matching of two face lists by IoU, best pairs first. */
export function matchFaces(
  cpu: Face[],
  trt: Face[],
  threshold: number,
): { pairs: [Face, Face, number][]; cpuLeft: Face[]; trtLeft: Face[] } {
  const candidates: [number, number, number][] = [];
  cpu.forEach((a, i) =>
    trt.forEach((b, j) => {
      const overlap = iou(a.box, b.box);
      if (overlap >= threshold) candidates.push([overlap, i, j]);
    }),
  );
  candidates.sort((x, y) => y[0] - x[0]);
  const usedCpu = new Set<number>();
  const usedTrt = new Set<number>();
  const pairs: [Face, Face, number][] = [];
  for (const [overlap, i, j] of candidates) {
    if (usedCpu.has(i) || usedTrt.has(j)) continue;
    usedCpu.add(i);
    usedTrt.add(j);
    pairs.push([cpu[i]!, trt[j]!, overlap]);
  }
  return { pairs, cpuLeft: cpu.filter((_, i) => !usedCpu.has(i)), trtLeft: trt.filter((_, j) => !usedTrt.has(j)) };
}

/** The sample photos shipped in the package (samples/ at its root), if any. */
export function packagedSamples(root = path.join(__dirname, '..', '..')): string[] {
  const dir = path.join(root, 'samples');
  if (!fs.existsSync(dir)) return [];
  return fs
    .readdirSync(dir)
    .filter((name) => /\.(jpe?g|png|webp)$/i.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}

async function throughput(detector: Detector, images: string[], batch: number): Promise<number> {
  const inputs = Array.from({ length: batch }, (_, i) => images[i % images.length]!);
  await detector.detectBatch(inputs); // warm-up
  const rounds = Math.max(1, Math.ceil(32 / batch));
  const start = process.hrtime.bigint();
  for (let i = 0; i < rounds; i++) await detector.detectBatch(inputs);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return (rounds * batch) / seconds;
}

export async function verifyTensorRt(options: VerifyOptions): Promise<VerifyReport> {
  const probe = probeTensorRt();
  if (!probe.available) {
    return {
      status: 'unavailable',
      reason: probe.reason ?? 'TensorRT cannot run here',
      missing: probe.missing,
      layers: (probe.layers ?? []).map(({ path: file, present, error }) => ({
        path: file,
        present,
        ...(error ? { error } : {}),
      })),
    };
  }
  const scoreThreshold = options.scoreThreshold ?? 0.5;
  const batchSizes = options.batchSizes ?? [1, 8, 32];
  const maxBatch = Math.max(...batchSizes);
  const common = {
    ...(options.model ? { model: options.model } : {}),
    scoreThreshold,
    inputSize: 640 as const,
    maxBatch,
  };
  const cpu = await Detector.create({ ...common, backend: 'cpu' });
  const cpuFaces = new Map<string, Face[]>();
  try {
    for (const image of options.images) cpuFaces.set(image, await cpu.detect(image));
  } finally {
    await cpu.close();
  }

  const reports: PrecisionReport[] = [];
  for (const precision of options.precisions ?? ['fp32', 'fp16']) {
    const events: EngineEvent[] = [];
    const start = process.hrtime.bigint();
    const detector = await Detector.create({
      ...common,
      backend: 'tensorrt',
      precision,
      tensorrt: {
        ...(options.cacheDir ? { cacheDir: options.cacheDir } : {}),
        onEngineEvent: (event) => events.push(event),
      },
    });
    const openSeconds = Number(process.hrtime.bigint() - start) / 1e9;
    const threshold = IOU_THRESHOLD[precision];
    const report: PrecisionReport = {
      precision,
      iouThreshold: threshold,
      matched: 0,
      cpuFaces: 0,
      tensorrtFaces: 0,
      unmatched: [],
      worstScoreDiff: 0,
      worstLandmarkDiffPx: 0,
      worstIou: 1,
      engine: {
        built: events.some((e) => e.kind === 'build-finished'),
        seconds: openSeconds,
        ...(events.find((e) => e.path)?.path ? { path: events.find((e) => e.path)!.path! } : {}),
      },
      imagesPerSecond: {},
      ok: true,
    };
    try {
      for (const image of options.images) {
        const expected = cpuFaces.get(image)!;
        const found = await detector.detect(image);
        report.cpuFaces += expected.length;
        report.tensorrtFaces += found.length;
        const { pairs, cpuLeft, trtLeft } = matchFaces(expected, found, threshold);
        report.matched += pairs.length;
        for (const [a, b, overlap] of pairs) {
          report.worstIou = Math.min(report.worstIou, overlap);
          report.worstScoreDiff = Math.max(report.worstScoreDiff, Math.abs(a.score - b.score));
          a.landmarks.forEach(([x, y], k) => {
            const [u, v] = b.landmarks[k]!;
            report.worstLandmarkDiffPx = Math.max(report.worstLandmarkDiffPx, Math.hypot(x - u, y - v));
          });
        }
        for (const [side, faces] of [
          ['cpu', cpuLeft],
          ['tensorrt', trtLeft],
        ] as const) {
          for (const face of faces) {
            report.unmatched.push({ image, side, score: face.score, box: face.box });
            if (face.score > scoreThreshold + BORDERLINE) report.ok = false;
          }
        }
      }
      for (const batch of batchSizes)
        report.imagesPerSecond[`batch${batch}`] = await throughput(detector, options.images, batch);
      reports.push(report);
    } finally {
      await detector.close();
    }
  }
  return {
    status: reports.every((r) => r.ok) ? 'ok' : 'mismatch',
    tensorrtVersion: probe.tensorrtVersion ?? '',
    images: options.images,
    precisions: reports,
  };
}

/** The report as the table `retinaface verify` prints. */
export function formatVerifyReport(report: VerifyReport): string {
  if (report.status === 'unavailable') {
    const layers = report.layers.map(
      (l) => `  ${l.path}: ${l.present ? (l.error ? `present, ${l.error}` : 'present') : 'not built'}`,
    );
    return [
      `TensorRT unavailable: ${report.reason}`,
      `missing: ${report.missing.join(', ')}`,
      ...(layers.length ? ['layers:', ...layers] : []),
      'Nothing was compared. `retinaface doctor` says the same; install what is missing and run `retinaface verify` again.',
    ].join('\n');
  }
  const batches = Object.keys(report.precisions[0]?.imagesPerSecond ?? {});
  const header = [
    'precision',
    'matched',
    'IoU >=',
    'worst IoU',
    'worst score diff',
    'worst landmark px',
    'engine',
    ...batches.map((b) => `img/s ${b.replace('batch', 'b')}`),
    'result',
  ];
  const rows = report.precisions.map((r) => [
    r.precision,
    `${r.matched}/${r.cpuFaces} (trt ${r.tensorrtFaces})`,
    r.iouThreshold.toFixed(2),
    r.worstIou.toFixed(4),
    r.worstScoreDiff.toFixed(4),
    r.worstLandmarkDiffPx.toFixed(2),
    `${r.engine.built ? 'built' : 'loaded'} ${r.engine.seconds.toFixed(1)} s`,
    ...batches.map((b) => (r.imagesPerSecond[b] ?? 0).toFixed(1)),
    r.ok ? 'ok' : 'MISMATCH',
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i]!.length)));
  const line = (cells: string[]) => cells.map((c, i) => c.padEnd(widths[i]!)).join('  ');
  const unmatched = report.precisions.flatMap((r) =>
    r.unmatched.map(
      (u) =>
        `  ${r.precision}: only on ${u.side} in ${u.image}: score ${u.score.toFixed(3)} box [${u.box.map((v) => v.toFixed(1)).join(', ')}]`,
    ),
  );
  return [
    `TensorRT ${report.tensorrtVersion}, ${report.images.length} image(s), compared with the CPU backend`,
    line(header),
    ...rows.map(line),
    ...(unmatched.length ? ['unmatched faces:', ...unmatched] : []),
  ].join('\n');
}
