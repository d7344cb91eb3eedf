/**
 * Calibration: real images through the detector's own preprocessing (decode, EXIF orientation, letterbox to the
 * input size, BGR minus the means), the float model run by onnxruntime-node with every tensor to be quantized
 * exposed as an extra output, and the range statistics of each tensor gathered in one pass.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as ort from 'onnxruntime-node';
import { onnx } from 'onnx-proto';
import { binding, type RawPixels } from '../../../binding';
import { RetinaFaceError } from '../../../errors';
import { decodeImage } from '../../../image';
import { AbsHistogram } from './histogram';
import { withCalibrationOutputs } from './qdq';

const IMAGE_EXTENSIONS = new Set(['.jpg', '.jpeg', '.png', '.webp', '.tif', '.tiff', '.avif', '.bmp']);

function failed(message: string, cause?: unknown): RetinaFaceError {
  return new RetinaFaceError('CALIBRATION_FAILED', message, cause === undefined ? undefined : { cause });
}

/** Every image file under `folder` (recursively), sorted, so the choice of images is the same on every machine. */
export function listCalibrationImages(folder: string): string[] {
  let stats: fs.Stats;
  try {
    stats = fs.statSync(folder);
  } catch (error) {
    throw failed(`no calibration folder at '${folder}'`, error);
  }
  if (!stats.isDirectory()) throw failed(`'${folder}' is not a folder of calibration images`);
  const files: string[] = [];
  const walk = (dir: string): void => {
    for (const entry of fs
      .readdirSync(dir, { withFileTypes: true })
      .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) walk(full);
      else if (entry.isFile() && IMAGE_EXTENSIONS.has(path.extname(entry.name).toLowerCase())) files.push(full);
    }
  };
  walk(folder);
  return files;
}

/** `count` images spread evenly over the sorted list (every k-th), or all of them. */
export function chooseCalibrationImages(files: readonly string[], count: number | undefined): string[] {
  if (count === undefined || count >= files.length) return [...files];
  const step = files.length / count;
  return Array.from({ length: count }, (_, i) => files[Math.floor(i * step)]!);
}

export interface CalibrationOptions {
  /** Square network input the images are letterboxed to (the detector's default is 640). */
  inputSize?: number;
  /** Called after each image. */
  onProgress?: (done: number, total: number) => void;
}

/** Range statistics of every tensor in `tensors` over `images`. */
export async function collectRanges(
  model: onnx.ModelProto,
  tensors: readonly string[],
  images: readonly string[],
  options: CalibrationOptions = {},
): Promise<Map<string, AbsHistogram>> {
  if (images.length === 0)
    throw failed('no calibration images: the folder holds no image file (.jpg, .png, .webp, ...)');
  const size = options.inputSize ?? 640;
  const calibrationModel = withCalibrationOutputs(model, tensors);
  let session: ort.InferenceSession;
  try {
    session = await ort.InferenceSession.create(onnx.ModelProto.encode(calibrationModel).finish(), {
      graphOptimizationLevel: 'basic',
      executionMode: 'sequential',
    });
  } catch (error) {
    throw new RetinaFaceError(
      'MODEL_INVALID',
      `the model could not be loaded for calibration: ${(error as Error).message}`,
      { cause: error },
    );
  }
  const inputName = session.inputNames[0]!;
  const histograms = new Map(tensors.map((t) => [t, new AbsHistogram()]));
  const tensor = new Float32Array(3 * size * size);
  try {
    for (let i = 0; i < images.length; i++) {
      const file = images[i]!;
      let pixels: RawPixels;
      try {
        pixels = await decodeImage(file, { maxPixels: 100_000_000, minSide: 8 });
      } catch (error) {
        throw failed(`calibration image '${file}' cannot be read: ${(error as Error).message}`, error);
      }
      await binding().preprocess([pixels], { width: size, height: size }, tensor);
      const results = await session.run(
        { [inputName]: new ort.Tensor('float32', tensor, [1, 3, size, size]) },
        tensors,
      );
      for (const name of tensors) {
        const value = results[name];
        if (value) histograms.get(name)!.add(value.data as Float32Array);
      }
      options.onProgress?.(i + 1, images.length);
    }
  } finally {
    await session.release();
  }
  return histograms;
}

export type CalibrationMethod = 'minmax' | 'percentile' | 'entropy';
export const CALIBRATION_METHODS: readonly CalibrationMethod[] = ['minmax', 'percentile', 'entropy'];

/** Percentile of |x| kept by the 'percentile' method (onnxruntime's default is 99.999 too). */
export const PERCENTILE = 99.999;

/** |x| clipping threshold of each tensor for one method. */
export function rangesFor(
  histograms: ReadonlyMap<string, AbsHistogram>,
  method: CalibrationMethod,
): Map<string, number> {
  const ranges = new Map<string, number>();
  for (const [name, h] of histograms) {
    ranges.set(name, method === 'minmax' ? h.absMax : method === 'percentile' ? h.percentile(PERCENTILE) : h.entropy());
  }
  return ranges;
}
