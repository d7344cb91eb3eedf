/** `retinaface detect --annotate <file> --crops <dir>`: the annotated picture and the aligned crops of each image. */
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { annotate, type AnnotateFormat } from '../annotate';
import type { Detector } from '../detector';
import type { Face } from '../faces';
import { decodeImage } from '../image';

export interface DetectOutputFlags {
  annotate?: string;
  crops?: string;
  cropSize?: number;
  maxPixels?: number;
}

/** The output format of an annotated picture, from its file extension. */
export function annotateFormat(file: string): AnnotateFormat {
  const ext = path.extname(file).toLowerCase();
  if (ext === '.png') return 'png';
  if (ext === '.webp') return 'webp';
  return 'jpeg';
}

/** With several input images, --annotate out.jpg becomes out-<image stem>.jpg for each. */
export function annotatedPath(target: string, image: string, multiple: boolean): string {
  if (!multiple) return target;
  const ext = path.extname(target);
  return `${target.slice(0, target.length - ext.length)}-${path.parse(image).name}${ext || '.jpg'}`;
}

/**
 * Detects the faces of `image` (decoded once), writes the annotated picture and, per face, <stem>_<i>.png (the aligned
 * crop) with <stem>_<i>.json (score, box, landmarks, matrix, inverse) beside it. Returns the faces.
 */
export async function detectWithOutputs(
  detector: Detector,
  image: string,
  flags: DetectOutputFlags,
  multiple: boolean,
): Promise<Face[]> {
  // detect() and detectAndAlign() take raw pixels as they are: the file is decoded once for all outputs.
  const pixels = await decodeImage(image, { maxPixels: flags.maxPixels ?? 100_000_000, minSide: 1 });
  let faces: Face[];
  if (flags.crops !== undefined) {
    const aligned = await detector.detectAndAlign(pixels, {
      ...(flags.cropSize !== undefined ? { size: flags.cropSize } : {}),
    });
    fs.mkdirSync(flags.crops, { recursive: true });
    const stem = path.parse(image).name;
    for (const [i, face] of aligned.entries()) {
      const { data, width, height, channels, matrix, inverse } = face.aligned;
      const base = path.join(flags.crops, `${stem}_${i}`);
      await sharp(data, { raw: { width, height, channels } }).png().toFile(`${base}.png`);
      const sidecar = {
        image,
        index: i,
        size: width,
        score: face.score,
        box: face.box,
        landmarks: face.landmarks,
        matrix,
        inverse,
      };
      fs.writeFileSync(`${base}.json`, JSON.stringify(sidecar, null, 2) + '\n');
    }
    faces = aligned.map(({ aligned: _crop, ...face }) => face);
  } else {
    faces = await detector.detect(pixels);
  }
  if (flags.annotate !== undefined) {
    const target = annotatedPath(flags.annotate, image, multiple);
    fs.mkdirSync(path.dirname(path.resolve(target)), { recursive: true });
    fs.writeFileSync(target, await annotate(pixels, faces, { format: annotateFormat(target) }));
  }
  return faces;
}
