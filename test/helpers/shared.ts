/** Paths into ../shared (read-only models and data beside the checkout) and loaders for the reference outputs. */
import fs from 'node:fs';
import path from 'node:path';

export const SHARED = path.resolve(__dirname, '../../../shared');
export const MODEL_DYNAMIC = path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx');
export const MODEL_FIXED_640 = path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_640_op11.onnx');
export const MODEL_MINGO99 = path.join(SHARED, 'models/retinaface-mnet025/third_party/FaceDetector_mingo99_op14.onnx');
export const PHOTOS = path.join(SHARED, 'data/photos');
export const WIDER_IMAGES = path.join(SHARED, 'data/widerface-val/images');
export const REFERENCE = path.join(SHARED, 'data/reference');

/** One reference detection: box, score, landmarks in original pixels. */
export interface RefDet {
  box: [number, number, number, number];
  score: number;
  landmarks: number[]; // x0, y0, ..., x4, y4
}

export interface RefImage {
  width: number;
  height: number;
  resize: number;
  dets: RefDet[];
}

export function loadReference(file: string): Map<string, RefImage> {
  const json = JSON.parse(fs.readFileSync(path.join(REFERENCE, file), 'utf8')) as {
    images: Record<string, { width: number; height: number; resize: number; dets: number[][] }>;
  };
  const out = new Map<string, RefImage>();
  for (const [name, image] of Object.entries(json.images)) {
    out.set(name, {
      width: image.width,
      height: image.height,
      resize: image.resize,
      dets: image.dets.map((d) => ({ box: [d[0]!, d[1]!, d[2]!, d[3]!], score: d[4]!, landmarks: d.slice(5) })),
    });
  }
  return out;
}

/** Reads a little-endian float32 file. */
export function readF32(file: string): Float32Array {
  const bytes = fs.readFileSync(file);
  const out = new Float32Array(bytes.length / 4);
  for (let i = 0; i < out.length; i++) out[i] = bytes.readFloatLE(4 * i);
  return out;
}

/** Plain IoU of [x1, y1, x2, y2] boxes (continuous coordinates). */
export function iou(a: readonly number[], b: readonly number[]): number {
  const w = Math.max(0, Math.min(a[2]!, b[2]!) - Math.max(a[0]!, b[0]!));
  const h = Math.max(0, Math.min(a[3]!, b[3]!) - Math.max(a[1]!, b[1]!));
  const inter = w * h;
  const union = (a[2]! - a[0]!) * (a[3]! - a[1]!) + (b[2]! - b[0]!) * (b[3]! - b[1]!) - inter;
  return union > 0 ? inter / union : 0;
}

/** Mean Euclidean distance between two flat landmark lists (x0, y0, ..., x4, y4). */
export function meanLandmarkError(a: readonly number[], b: readonly number[]): number {
  let sum = 0;
  for (let k = 0; k < 5; k++) sum += Math.hypot(a[2 * k]! - b[2 * k]!, a[2 * k + 1]! - b[2 * k + 1]!);
  return sum / 5;
}

/** Deterministic selection of n WIDER subset images: every k-th name in sorted order. */
export function widerSample(names: readonly string[], n: number): string[] {
  const sorted = [...names].sort();
  const step = Math.max(1, Math.floor(sorted.length / n));
  return sorted.filter((_, i) => i % step === 0).slice(0, n);
}
