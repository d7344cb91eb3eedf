/**
 * The WIDER FACE evaluation protocol as the official tool (and biubug6/Pytorch_Retinaface
 * widerface_evaluate/evaluation.py) computes it, step for step, so that the numbers agree:
 *
 * 1. Scores are min-max normalised over the whole prediction set.
 * 2. Per image, each detection (in the order given: score descending) is matched to the GT box of highest IoU
 *    ("+1" pixel convention, integer x,y,w,h boxes). IoU >= 0.5 with a box that does not count in the setting makes the
 *    detection an ignored one (neither TP nor FP); IoU >= 0.5 with a counted box recalls that box.
 * 3. At 1000 thresholds t/1000, the detections down to the last one scoring >= the threshold give the number of
 *    proposals (non-ignored detections) and recalled faces; these are summed over images.
 * 4. Precision = recalled / proposals, recall = recalled / faces counted in the setting; AP is the VOC area under the
 *    monotone precision envelope over all recall change points.
 *
 * Everything here is pure: no I/O.
 */
import { type GroundTruthImage, type Setting, SETTINGS } from './ground-truth';

/** A detection as the WIDER tools read it: integer x, y, w, h (pixels) and a score. */
export type WiderDetection = [x: number, y: number, w: number, h: number, score: number];

export interface ProtocolImage {
  gt: Pick<GroundTruthImage, 'file' | 'boxes' | 'keep'>;
  /** Sorted by score, highest first (as detectors and the submission files give them). */
  detections: readonly WiderDetection[];
}

export interface PrCurve {
  /** One point per threshold, thresholds from high (0.999) to low (0); precision is NaN where nothing was proposed. */
  precision: number[];
  recall: number[];
}

export interface ProtocolResult {
  /** Average precision per setting, in [0, 1] (NaN for a setting with no counted face among the images). */
  ap: Record<Setting, number>;
  /** Precision/recall at the protocol's 1000 score thresholds. */
  curves: Record<Setting, PrCurve>;
  /** Faces that count per setting, over the evaluated images. */
  faces: Record<Setting, number>;
  /** Images evaluated. */
  images: number;
  /** Detections evaluated, all images together. */
  detections: number;
}

export const IOU_THRESHOLD = 0.5;
export const THRESHOLD_COUNT = 1000;

/**
 * IoU of boxes given as [x1, y1, x2, y2] with inclusive pixel ends: widths and heights are x2 - x1 + 1.
 * WIDER boxes [x, y, w, h] become [x, y, x + w, y + h] first (the official tool adds w, not w - 1).
 */
export function pixelIoU(a: readonly number[], b: readonly number[]): number {
  const iw = Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!) + 1;
  if (iw <= 0) return 0;
  const ih = Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!) + 1;
  if (ih <= 0) return 0;
  const union = (a[2]! - a[0]! + 1) * (a[3]! - a[1]! + 1) + (b[2]! - b[0]! + 1) * (b[3]! - b[1]! + 1) - iw * ih;
  return (iw * ih) / union;
}

/**
 * For each detection, the index of the GT box it overlaps most (the first on ties) if that IoU reaches the threshold,
 * else -1. This does not depend on the setting, so it is computed once per image.
 */
export function bestMatches(
  detections: readonly WiderDetection[],
  boxes: readonly (readonly number[])[],
  iouThreshold = IOU_THRESHOLD,
): Int32Array {
  const gt = boxes.map(([x, y, w, h]) => [x!, y!, x! + w!, y! + h!]);
  const best = new Int32Array(detections.length).fill(-1);
  detections.forEach(([x, y, w, h], i) => {
    const det = [x, y, x + w, y + h];
    let bestIoU = -Infinity;
    let bestIndex = -1;
    for (let k = 0; k < gt.length; k++) {
      const overlap = pixelIoU(det, gt[k]!);
      if (overlap > bestIoU) {
        bestIoU = overlap;
        bestIndex = k;
      }
    }
    if (bestIoU >= iouThreshold) best[i] = bestIndex;
  });
  return best;
}

/**
 * One image in one setting. `recalled[i]`: counted faces recalled by detections 0..i; `proposal[i]`: 1 for a
 * detection that counts as a proposal, 0 for one that matched an ignored box.
 */
export function imageEval(
  matches: Int32Array,
  gtCount: number,
  counted: ReadonlySet<number>,
): { recalled: Int32Array; proposal: Uint8Array } {
  const state = new Int8Array(gtCount); // 0 = not recalled, 1 = recalled, -1 = ignored box hit
  const recalled = new Int32Array(matches.length);
  const proposal = new Uint8Array(matches.length).fill(1);
  let total = 0;
  for (let i = 0; i < matches.length; i++) {
    const k = matches[i]!;
    if (k >= 0) {
      if (!counted.has(k)) {
        state[k] = -1;
        proposal[i] = 0;
      } else if (state[k] === 0) {
        state[k] = 1;
        total++;
      }
    }
    recalled[i] = total;
  }
  return { recalled, proposal };
}

/** The score thresholds, high to low: 1 - (t + 1) / 1000 exactly as the official tool computes them. */
export function thresholds(count = THRESHOLD_COUNT): Float64Array {
  return Float64Array.from({ length: count }, (_, t) => 1 - (t + 1) / count);
}

/**
 * Adds one image's [proposals, recalled] at every threshold to `sums` (length 2 * thresholds). For each threshold the
 * official tool takes the last detection whose normalised score reaches it and counts everything up to it.
 */
export function addImagePr(
  sums: Float64Array,
  scores: Float64Array,
  proposal: Uint8Array,
  recalled: Int32Array,
  thresh: Float64Array,
): void {
  const count = thresh.length;
  // last[t]: the last detection whose score is >= thresh[t]; thresholds fall with t, so take a running maximum.
  const last = new Int32Array(count).fill(-1);
  for (let i = 0; i < scores.length; i++) {
    const t = firstThresholdAtOrBelow(thresh, scores[i]!);
    if (t < count && i > last[t]!) last[t] = i;
  }
  const proposals = new Int32Array(scores.length);
  let running = 0;
  for (let i = 0; i < scores.length; i++) proposals[i] = running += proposal[i]!;
  let r = -1;
  for (let t = 0; t < count; t++) {
    r = Math.max(r, last[t]!);
    if (r < 0) continue;
    sums[2 * t] = sums[2 * t]! + proposals[r]!;
    sums[2 * t + 1] = sums[2 * t + 1]! + recalled[r]!;
  }
}

/** Smallest t with thresh[t] <= score (thresh descending); thresh.length if none (NaN scores never pass). */
function firstThresholdAtOrBelow(thresh: Float64Array, score: number): number {
  let lo = 0,
    hi = thresh.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (score >= thresh[mid]!) hi = mid;
    else lo = mid + 1;
  }
  return lo;
}

/** Summed [proposals, recalled] per threshold -> precision and recall. */
export function prCurve(sums: Float64Array, faces: number): PrCurve {
  const n = sums.length / 2;
  const precision: number[] = [];
  const recall: number[] = [];
  for (let t = 0; t < n; t++) {
    const proposals = sums[2 * t]!,
      hits = sums[2 * t + 1]!;
    precision.push(proposals > 0 ? hits / proposals : NaN); // 0/0 in the official tool; only at recall 0, so harmless
    recall.push(hits / faces);
  }
  return { precision, recall };
}

/** VOC AP: sentinels (0,0) and (1,0), precision made monotone from the right, summed over recall changes. */
export function vocAp(recall: readonly number[], precision: readonly number[]): number {
  const mrec = [0, ...recall, 1];
  const mpre = [0, ...precision, 0];
  // Math.max propagates NaN like numpy.maximum, so undefined points behave as in the official tool.
  for (let i = mpre.length - 1; i > 0; i--) mpre[i - 1] = Math.max(mpre[i - 1]!, mpre[i]!);
  let ap = 0;
  for (let i = 0; i + 1 < mrec.length; i++) {
    if (mrec[i + 1] !== mrec[i]) ap += (mrec[i + 1]! - mrec[i]!) * mpre[i + 1]!;
  }
  return ap;
}

/**
 * Min-max normalisation over all detections of all images, as the official tool does it (its running minimum
 * starts at 1 and its maximum at 0). If every score is the same the tool divides by zero and nothing passes any
 * threshold; here all scores become 1 instead, the one place where this implementation departs from it.
 */
export function normalizeScores(perImage: readonly (readonly WiderDetection[])[]): Float64Array[] {
  let min = 1,
    max = 0;
  for (const dets of perImage) {
    for (const d of dets) {
      if (d[4] < min) min = d[4];
      if (d[4] > max) max = d[4];
    }
  }
  const range = max - min;
  return perImage.map((dets) => Float64Array.from(dets, (d) => (range > 0 ? (d[4] - min) / range : 1)));
}

/** Evaluates detections against ground truth in the three settings. */
export function evaluateProtocol(
  images: readonly ProtocolImage[],
  options: { iouThreshold?: number; thresholdCount?: number } = {},
): ProtocolResult {
  const thresh = thresholds(options.thresholdCount ?? THRESHOLD_COUNT);
  const scores = normalizeScores(images.map((image) => image.detections));
  const sums = Object.fromEntries(SETTINGS.map((s) => [s, new Float64Array(2 * thresh.length)])) as Record<
    Setting,
    Float64Array
  >;
  const faces = { easy: 0, medium: 0, hard: 0 };
  let detections = 0;
  images.forEach(({ gt, detections: dets }, index) => {
    detections += dets.length;
    for (const s of SETTINGS) faces[s] += gt.keep[s].length;
    if (gt.boxes.length === 0 || dets.length === 0) return;
    const matches = bestMatches(dets, gt.boxes, options.iouThreshold ?? IOU_THRESHOLD);
    for (const s of SETTINGS) {
      const { recalled, proposal } = imageEval(matches, gt.boxes.length, new Set(gt.keep[s]));
      addImagePr(sums[s], scores[index]!, proposal, recalled, thresh);
    }
  });
  const curves = {} as Record<Setting, PrCurve>;
  const ap = {} as Record<Setting, number>;
  for (const s of SETTINGS) {
    curves[s] = prCurve(sums[s], faces[s]);
    ap[s] = vocAp(curves[s].recall, curves[s].precision);
  }
  return { ap, curves, faces, images: images.length, detections };
}
