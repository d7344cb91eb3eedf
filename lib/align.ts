/**
 * Face crops aligned to the ArcFace template (insightface's norm_crop): the least-squares similarity from the five
 * landmarks to the template, then OpenCV's bilinear warp with a black border, both native. See docs/alignment.md.
 */
import { binding, type RawPixels } from './binding';
import { RetinaFaceError, toRetinaFaceError } from './errors';
import type { Point } from './faces';
import { decodeImage, type ImageInput, type PixelInput } from './image';

/** A 2x3 affine matrix [[a, b, c], [d, e, f]]: (x, y) -> (a x + b y + c, d x + e y + f). */
export type AffineMatrix = [[number, number, number], [number, number, number]];

/** Five landmarks in the detector's order, as [x, y] pairs or 10 flat numbers (x0, y0, ..., x4, y4). */
export type LandmarksInput = ReadonlyArray<readonly [number, number]> | readonly Point[] | ArrayLike<number>;

export interface AlignOptions {
  /** Side of the square crop, 16..1024. Default 112 (ArcFace); other sizes scale the template as insightface does. */
  size?: number;
}

export interface AlignedFace {
  /** RGB pixels, row-major, width * height * 3 bytes. */
  data: Buffer;
  width: number;
  height: number;
  channels: 3;
  /** Source pixel -> crop pixel (insightface's M, what cv2.warpAffine takes). */
  matrix: AffineMatrix;
  /** Crop pixel -> source pixel: maps points of the crop back into the image. */
  inverse: AffineMatrix;
}

export const DEFAULT_ALIGN_SIZE = 112;
const MIN_ALIGN_SIZE = 16;
const MAX_ALIGN_SIZE = 1024;
/** Decoding limits of alignFace() and annotate() (the detector applies its own options). */
export const STANDALONE_IMAGE_LIMITS = { maxPixels: 100_000_000, minSide: 1 };

function invalid(message: string): never {
  throw new RetinaFaceError('INVALID_ARGUMENT', message);
}

/** Checks `size` (undefined -> 112). */
export function resolveAlignSize(size: unknown): number {
  if (size === undefined) return DEFAULT_ALIGN_SIZE;
  if (typeof size !== 'number' || !Number.isInteger(size) || size < MIN_ALIGN_SIZE || size > MAX_ALIGN_SIZE) {
    invalid(`size must be an integer in [${MIN_ALIGN_SIZE}, ${MAX_ALIGN_SIZE}], got ${String(size)}`);
  }
  return size;
}

function resolveAlignOptions(options: unknown): number {
  if (options === undefined) return DEFAULT_ALIGN_SIZE;
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  for (const key of Object.keys(options)) if (key !== 'size') invalid(`unknown option '${key}'`);
  return resolveAlignSize((options as AlignOptions).size);
}

/** Flattens five [x, y] points (or 10 numbers) into `out` at `offset`, checking that every value is finite. */
function writeLandmarks(landmarks: LandmarksInput, out: Float64Array, offset: number, what: string): void {
  const bad = () => invalid(`${what} must be 5 [x, y] points of finite numbers (or 10 numbers)`);
  if (typeof landmarks !== 'object' || landmarks === null || typeof landmarks.length !== 'number') bad();
  const list = landmarks as ArrayLike<unknown>;
  let values: unknown[] = [];
  if (list.length === 5 && Array.from(list).every((p) => Array.isArray(p) || ArrayBuffer.isView(p))) {
    for (const point of Array.from(list) as ArrayLike<unknown>[]) {
      if (point.length !== 2) bad();
      values.push(point[0], point[1]);
    }
  } else if (list.length === 10) {
    values = Array.from(list);
  } else {
    bad();
  }
  values.forEach((v, k) => {
    if (typeof v !== 'number' || !Number.isFinite(v)) bad();
    out[offset + k] = v as number;
  });
}

function toMatrix(m: Float64Array, offset: number): AffineMatrix {
  return [
    [m[offset]!, m[offset + 1]!, m[offset + 2]!],
    [m[offset + 3]!, m[offset + 4]!, m[offset + 5]!],
  ];
}

/**
 * Aligned crops of several faces of already decoded pixels (one native call, warps on the addon's job thread).
 * Landmarks are rounded to float32, as the detector produces them and insightface passes them.
 */
export async function alignDecoded(
  pixels: RawPixels,
  faces: readonly LandmarksInput[],
  size: number,
): Promise<AlignedFace[]> {
  const landmarks = new Float64Array(10 * faces.length);
  faces.forEach((face, i) =>
    writeLandmarks(face, landmarks, 10 * i, faces.length === 1 ? 'landmarks' : `landmarks of face ${i}`),
  );
  if (faces.length === 0) return [];
  // Not zero-filled: the warp writes every byte.
  const out = faces.map(() => Buffer.allocUnsafe(size * size * 3));
  let matrices: Float64Array;
  try {
    matrices = await binding().alignFaces(pixels, landmarks, size, out);
  } catch (error) {
    throw toRetinaFaceError(error, 'NATIVE_ERROR', 'alignment failed');
  }
  return faces.map((_, i) => ({
    data: out[i]!,
    width: size,
    height: size,
    channels: 3 as const,
    matrix: toMatrix(matrices, 12 * i),
    inverse: toMatrix(matrices, 12 * i + 6),
  }));
}

function isPixelInput(input: unknown): input is PixelInput {
  return typeof input === 'object' && input !== null && 'data' in input && 'width' in input && 'height' in input;
}

/**
 * Raw pixels as they are, checked but not copied: a crop reads a few thousand of them, where decodeImage's copy
 * (detect() takes its input at call time) would cost the whole image every call. Gray + alpha keeps the gray channel.
 */
function uncopiedPixels(input: PixelInput): RawPixels {
  const { data, width, height, channels } = input;
  if (!(data instanceof Uint8Array)) invalid('pixels.data must be a Uint8Array or Buffer');
  if (
    !Number.isInteger(width) ||
    !Number.isInteger(height) ||
    width < 1 ||
    height < 1 ||
    width > 65536 ||
    height > 65536
  ) {
    invalid(`pixels.width and pixels.height must be integers in [1, 65536], got ${String(width)}x${String(height)}`);
  }
  if (![1, 2, 3, 4].includes(channels)) invalid('pixels.channels must be 1, 2, 3 or 4');
  if (data.length !== width * height * channels) {
    invalid(`pixels.data has ${data.length} bytes; ${width}x${height}x${channels} needs ${width * height * channels}`);
  }
  if (channels !== 2) return { data, width, height, channels };
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = data[2 * i]!;
  return { data: gray, width, height, channels: 1 };
}

/**
 * The face at `landmarks` (left eye, right eye, nose, left and right mouth corners, as detect() returns them),
 * aligned to the ArcFace template in a size x size RGB crop, as insightface's norm_crop makes it.
 * Bad landmarks (not 5 finite points, or all equal) and sizes outside 16..1024 reject with INVALID_ARGUMENT.
 */
export async function alignFace(
  input: ImageInput,
  landmarks: LandmarksInput,
  options?: AlignOptions,
): Promise<AlignedFace> {
  const size = resolveAlignOptions(options);
  writeLandmarks(landmarks, new Float64Array(10), 0, 'landmarks'); // fail before decoding
  // Raw pixels are read while the promise is pending: do not change them before it settles.
  const pixels = isPixelInput(input) ? uncopiedPixels(input) : await decodeImage(input, STANDALONE_IMAGE_LIMITS);
  return (await alignDecoded(pixels, [landmarks], size))[0]!;
}
