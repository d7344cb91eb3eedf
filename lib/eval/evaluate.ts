/**
 * WIDER FACE evaluation end to end: run the detector on the validation images that are on disk and in the ground
 * truth, convert its faces the way the official submission files hold them, and score them with the protocol.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Detector } from '../detector';
import { RetinaFaceError } from '../errors';
import type { DetectorOptions, InputSize } from '../options';
import { type GroundTruth, type GroundTruthImage, loadGroundTruth } from './ground-truth';
import { evaluateProtocol, type ProtocolImage, type ProtocolResult, type WiderDetection } from './protocol';
import { type ScoredBox, toWiderDetection } from './submission';

/** The protocol's numbers, and the detections they were computed from. */
export interface EvaluationResult extends ProtocolResult {
  /** The evaluated detections in submission form, keyed '<event>/<name>.jpg'. */
  predictions: Map<string, WiderDetection[]>;
}

export interface WiderEvaluation extends EvaluationResult {
  /** Wall time: detection and scoring, not counting detector creation. */
  seconds: number;
  detector: { model: string; backend: string; inputSize: Detector['inputSize'] };
}

/** Per image: faces from the detector (or anything with box + score), or rows already in [x, y, w, h, score] form. */
export type DetectionsInput =
  | ReadonlyMap<string, readonly (ScoredBox | WiderDetection)[]>
  | Readonly<Record<string, readonly (ScoredBox | WiderDetection)[]>>;

function toRows(list: readonly (ScoredBox | WiderDetection)[]): WiderDetection[] {
  return list.map((d) => (Array.isArray(d) ? ([...d] as WiderDetection) : toWiderDetection(d as ScoredBox)));
}

function groundTruthOf(gt: GroundTruth | string): GroundTruth {
  return typeof gt === 'string' ? loadGroundTruth(gt) : gt;
}

/**
 * Scores precomputed detections. The images evaluated are the ground-truth images that have an entry in
 * `detections` (an empty list means "no face found"); entries for images outside the ground truth are ignored.
 * Score normalisation runs over the evaluated images' detections only.
 */
export function evaluateDetections(options: {
  gt: GroundTruth | string;
  detections: DetectionsInput;
}): EvaluationResult {
  const gt = groundTruthOf(options.gt);
  const lookup =
    options.detections instanceof Map
      ? (options.detections as ReadonlyMap<string, readonly (ScoredBox | WiderDetection)[]>)
      : new Map(Object.entries(options.detections));
  const images: ProtocolImage[] = [];
  const predictions = new Map<string, WiderDetection[]>();
  for (const image of gt.images) {
    const list = lookup.get(image.file);
    if (!list) continue;
    const detections = toRows(list);
    predictions.set(image.file, detections);
    images.push({ gt: image, detections });
  }
  if (images.length === 0) {
    const example = lookup.keys().next().value;
    throw new RetinaFaceError(
      'NO_IMAGES',
      `none of the ${lookup.size} images with detections is in the ground truth ${gt.source} ` +
        `(keys must be '<event>/<name>.jpg' like '${gt.images[0]?.file}'${example ? `, got '${example}'` : ''})`,
    );
  }
  return { ...evaluateProtocol(images), predictions };
}

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp']);

function listImageFiles(root: string, depth = 3): string[] {
  const out: string[] = [];
  const walk = (dir: string, level: number) => {
    for (const entry of fs.readdirSync(dir, { withFileTypes: true })) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) {
        if (level < depth) walk(full, level + 1);
      } else if (IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) {
        out.push(full);
      }
    }
  };
  walk(root, 1);
  return out.sort();
}

/**
 * The ground-truth images present under `dir`, in ground-truth order. A file matches by its path relative to `dir`
 * ('<event>/<name>.jpg', the WIDER_val/images layout) or, failing that, by its file name (unique in WIDER val).
 */
export function findGroundTruthImages(dir: string, gt: GroundTruth): { image: GroundTruthImage; path: string }[] {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new RetinaFaceError('INVALID_ARGUMENT', `no images folder at '${dir}'`);
  }
  const files = listImageFiles(dir);
  const byRelative = new Map(files.map((f) => [path.relative(dir, f).split(path.sep).join('/'), f]));
  const byBase = new Map<string, string>();
  for (const f of files) byBase.set(path.basename(f), f);
  const found: { image: GroundTruthImage; path: string }[] = [];
  for (const image of gt.images) {
    const file = byRelative.get(image.file) ?? byBase.get(path.basename(image.file));
    if (file) found.push({ image, path: file });
  }
  if (found.length === 0) {
    throw new RetinaFaceError(
      'NO_IMAGES',
      `none of the ${files.length} image files under '${dir}' is in the ground truth ${gt.source} ` +
        `(expected the WIDER_val/images layout, e.g. '${gt.images[0]?.file}')`,
    );
  }
  return found;
}

export interface EvaluateWiderOptions {
  /** Folder of validation images (WIDER_val/images layout, or any subset of it). */
  images: string;
  /** gt.json, the ground_truth folder of .mat files, wider_face_val.mat, or an already loaded GroundTruth. */
  gt: string | GroundTruth;
  /** A detector to use as is (its own thresholds apply; it is not closed), or options for one made here. */
  detector?: Detector | DetectorOptions;
  /** Shorthand for detector options' model. */
  model?: string;
  /** Network input: 'original' (default, the protocol's usual choice), a square side, or [width, height]. */
  inputSize?: InputSize;
  /** Default 0.02, as the reference evaluation. */
  scoreThreshold?: number;
  /** Default 0.4. */
  nmsThreshold?: number;
  /** Images decoded and detected at once; 2 overlaps JPEG decoding with inference. Default 2. */
  concurrency?: number;
  onProgress?: (progress: { done: number; total: number; file: string; faces: number }) => void;
}

/** Runs the detector on every ground-truth image found under `images` and evaluates its detections. */
export async function evaluateWider(options: EvaluateWiderOptions): Promise<WiderEvaluation> {
  const gt = groundTruthOf(options.gt);
  const found = findGroundTruthImages(options.images, gt);
  const given = options.detector instanceof Detector ? options.detector : undefined;
  const detector =
    given ??
    (await Detector.create({
      // The reference evaluation keeps every candidate, unclipped: no top-k before or after NMS.
      preNmsTopK: 0,
      maxFaces: 0,
      clip: false,
      ...(options.detector as DetectorOptions | undefined),
      ...(options.model !== undefined ? { model: options.model } : {}),
      inputSize: options.inputSize ?? (options.detector as DetectorOptions | undefined)?.inputSize ?? 'original',
      scoreThreshold:
        options.scoreThreshold ?? (options.detector as DetectorOptions | undefined)?.scoreThreshold ?? 0.02,
      nmsThreshold: options.nmsThreshold ?? (options.detector as DetectorOptions | undefined)?.nmsThreshold ?? 0.4,
    }));
  try {
    const started = process.hrtime.bigint();
    const faces = new Map<string, WiderDetection[]>();
    let next = 0,
      done = 0;
    const worker = async () => {
      while (next < found.length) {
        const { image, path: file } = found[next++]!;
        const detections = (await detector.detect(file)).map(toWiderDetection);
        faces.set(image.file, detections);
        options.onProgress?.({ done: ++done, total: found.length, file: image.file, faces: detections.length });
      }
    };
    const concurrency = Math.max(1, Math.min(options.concurrency ?? 2, found.length));
    await Promise.all(Array.from({ length: concurrency }, worker));
    // Evaluate in ground-truth order whatever order the workers finished in.
    const ordered = new Map(found.map(({ image }) => [image.file, faces.get(image.file)!]));
    const result = evaluateDetections({ gt, detections: ordered });
    const seconds = Number(process.hrtime.bigint() - started) / 1e9;
    return {
      ...result,
      seconds,
      detector: { model: detector.modelPath, backend: detector.backendInfo.name, inputSize: detector.inputSize },
    };
  } finally {
    if (!given) await detector.close();
  }
}
