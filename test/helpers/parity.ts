/** Matching our detections against the reference implementation's. */
import type { Face } from '../../lib';
import { iou, meanLandmarkError, type RefDet } from './shared';

export interface Match {
  ref: RefDet;
  iou: number;
  landmarkError: number;
}

export interface ParityReport {
  refFaces: number; // reference detections at or above the score floor
  matched: Match[]; // each with our best-IoU detection
  unmatched: RefDet[]; // no detection of ours at the IoU floor
  extra: Face[]; // ours at or above the score floor with no reference detection at the IoU floor
}

function flat(face: Face): number[] {
  return face.landmarks.flat();
}

/**
 * Every reference detection scoring >= scoreFloor is looked up among ours (any score) by best IoU; it counts as
 * matched when that IoU >= iouFloor. Ours >= scoreFloor that overlap no reference detection (any score) at iouFloor
 * are extra.
 */
export function compareWithReference(ours: Face[], ref: RefDet[], scoreFloor: number, iouFloor: number): ParityReport {
  const report: ParityReport = { refFaces: 0, matched: [], unmatched: [], extra: [] };
  for (const r of ref) {
    if (r.score < scoreFloor) continue;
    report.refFaces++;
    let best: Face | undefined;
    let bestIou = 0;
    for (const face of ours) {
      const v = iou(face.box, r.box);
      if (v > bestIou) [best, bestIou] = [face, v];
    }
    if (best && bestIou >= iouFloor) {
      report.matched.push({ ref: r, iou: bestIou, landmarkError: meanLandmarkError(flat(best), r.landmarks) });
    } else {
      report.unmatched.push(r);
    }
  }
  for (const face of ours) {
    if (face.score < scoreFloor) continue;
    if (!ref.some((r) => iou(face.box, r.box) >= iouFloor)) report.extra.push(face);
  }
  return report;
}
