/** How far a variant's faces are from the FP32 reference on the same images, and its AP on a WIDER slice. */
import path from 'node:path';
import type { Detector, Face } from '../../lib';
import {
  evaluateDetections,
  evaluateWider,
  type EvaluateWiderOptions,
  type WiderEvaluation,
} from '../../lib/eval/evaluate';
import { loadGroundTruth } from '../../lib/eval/ground-truth';
import type { BenchImage } from './images';
import { SHARED, WIDER_IMAGES } from './images';

export interface AgreementReport {
  referenceFaces: number;
  /** Share of reference faces with a face of ours at IoU >= 0.9. */
  matchedAtIou09: number;
  meanIou: number;
  meanLandmarkErrorPx: number;
}

export interface ApReport {
  images: number;
  easy: number;
  medium: number;
  hard: number;
}

function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - w * h;
  return union > 0 ? (w * h) / union : 0;
}

export function agreement(reference: Face[][], candidate: Face[][]): AgreementReport {
  let faces = 0,
    matched = 0,
    iouSum = 0,
    landmarkSum = 0;
  reference.forEach((refFaces, i) => {
    for (const ref of refFaces) {
      faces++;
      let best: Face | undefined,
        bestIou = 0;
      for (const face of candidate[i] ?? []) {
        const v = iou(face.box, ref.box);
        if (v > bestIou) [best, bestIou] = [face, v];
      }
      iouSum += bestIou;
      if (best && bestIou >= 0.9) {
        matched++;
        landmarkSum +=
          ref.landmarks.reduce(
            (s, [x, y], k) => s + Math.hypot(x - best!.landmarks[k]![0], y - best!.landmarks[k]![1]),
            0,
          ) / 5;
      }
    }
  });
  return {
    referenceFaces: faces,
    matchedAtIou09: faces ? matched / faces : 1,
    meanIou: faces ? iouSum / faces : 1,
    meanLandmarkErrorPx: matched ? landmarkSum / matched : 0,
  };
}

/** Faces of every image (detectBatch keeps a bounded window in flight, within the detector's queue). */
export function detectAll(detector: Detector, images: readonly BenchImage[]): Promise<Face[][]> {
  return detector.detectBatch(images.map((image) => image.pixels));
}

/** WIDER AP of detections made at the evaluation threshold (0.02) on `images`. */
export function widerAp(images: readonly BenchImage[], faces: Face[][]): ApReport {
  const gt = loadGroundTruth(path.join(SHARED, 'data/widerface-val/gt.json'));
  const detections = new Map(images.map((image, i) => [image.name, faces[i]!]));
  const { ap } = evaluateDetections({ gt, detections });
  return { images: images.length, easy: ap.easy, medium: ap.medium, hard: ap.hard };
}

/** evaluateWider over the WIDER val images under ../shared, at the reference evaluation's thresholds (0.02, NMS 0.4). */
export function evaluateWiderVal(
  options: Omit<EvaluateWiderOptions, 'images' | 'scoreThreshold' | 'nmsThreshold'>,
): Promise<WiderEvaluation> {
  return evaluateWider({ images: WIDER_IMAGES, scoreThreshold: 0.02, nmsThreshold: 0.4, ...options });
}
