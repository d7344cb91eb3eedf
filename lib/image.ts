/** Image inputs -> decoded uint8 pixels (EXIF orientation applied), with size limits. Letterboxing is native. */
import fs from 'node:fs';
import sharp from 'sharp';
import type { RawPixels } from './binding';
import { RetinaFaceError } from './errors';
import { fileKind } from './file-kind';
import type { FailOn } from './options';

/**
 * Raw pixels supplied by the caller: HWC, row-major, no padding between rows.
 *
 * detect() copies `data` at call time, before it returns its promise, into memory the detector owns: changing,
 * reusing or transferring (postMessage, structuredClone with transfer) the array after the call does not affect the
 * call. An array whose buffer is already detached at call time is INVALID_ARGUMENT; a SharedArrayBuffer is fine.
 * (An encoded Buffer is copied the same way; a sharp instance is cloned, as sharp's clone() does.)
 */
export interface PixelInput {
  data: Uint8Array;
  width: number;
  height: number;
  /** 1 = gray, 2 = gray + alpha, 3 = RGB, 4 = RGBA (alpha is ignored). */
  channels: 1 | 2 | 3 | 4;
}

/** A file path, an encoded image (JPEG, PNG, WebP, AVIF, TIFF, GIF…), raw pixels, or a sharp pipeline. */
export type ImageInput = string | Buffer | Uint8Array | PixelInput | sharp.Sharp;

export interface ImageLimits {
  maxPixels: number;
  minSide: number;
  /** Decode damage that fails the call (sharp's failOn) for paths and Buffers. Default 'truncated'. */
  failOn?: FailOn;
  /** Where images run at their own size: the largest accepted (its tensors grow with it). */
  maxOriginalPixels?: number;
}

/** Longest image side the native letterbox takes (each side of its input is checked against it). */
export const MAX_SIDE = 65536;

/** An input as detect() holds it from call time on: nothing in it belongs to the caller any more. */
export type CapturedInput =
  | { kind: 'path'; path: string }
  | { kind: 'encoded'; bytes: Buffer }
  | { kind: 'pixels'; pixels: RawPixels }
  | { kind: 'sharp'; pipeline: sharp.Sharp };

export interface ImageHeader {
  width: number;
  height: number;
  /** Encoded format as sharp names it ('jpeg', 'png', ...); absent for raw pixels. */
  format?: string;
  /** Size after EXIF orientation (what detect() sees), where it differs from width x height. */
  display?: { width: number; height: number };
}

/** A decode straight to this size (shrink-on-load + resize by libvips), for `decode: 'fast'`. */
export interface DecodeResize {
  width: number;
  height: number;
}

function isSharp(input: unknown): input is sharp.Sharp {
  return input instanceof sharp;
}

function isPixelInput(input: unknown): input is PixelInput {
  return typeof input === 'object' && input !== null && 'data' in input && 'width' in input && 'height' in input;
}

function checkSize(width: number, height: number, limits: ImageLimits): void {
  if (width * height > limits.maxPixels) {
    throw new RetinaFaceError(
      'IMAGE_TOO_LARGE',
      `image is ${width}x${height} = ${width * height} pixels, over the limit of ${limits.maxPixels} (option maxPixels)`,
    );
  }
  if (width > MAX_SIDE || height > MAX_SIDE) {
    throw new RetinaFaceError(
      'IMAGE_TOO_LARGE',
      `image is ${width}x${height}; each side must be at most ${MAX_SIDE} pixels`,
    );
  }
  if (width < limits.minSide || height < limits.minSide) {
    throw new RetinaFaceError(
      'IMAGE_TOO_SMALL',
      `image is ${width}x${height}; both sides must be at least ${limits.minSide} pixels (option minSide)`,
    );
  }
  if (limits.maxOriginalPixels !== undefined && width * height > limits.maxOriginalPixels) {
    throw new RetinaFaceError(
      'IMAGE_TOO_LARGE',
      `image is ${width}x${height} = ${width * height} pixels, over ${limits.maxOriginalPixels} for inputSize 'original' ` +
        '(option maxOriginalPixels; at its own size each pixel costs about 40 bytes of tensors); use inputSize 640 ' +
        '(or another fixed size) for images this large',
    );
  }
}

/** A typed array whose buffer was transferred away (postMessage, structuredClone) reads as empty; say so instead. */
function isDetached(array: Uint8Array): boolean {
  try {
    new Uint8Array(array.buffer, 0, 0); // throws on a detached ArrayBuffer (Node 20 has no .detached yet)
    return false;
  } catch {
    return true;
  }
}

function assertAttached(array: Uint8Array, what: string): void {
  if (isDetached(array)) {
    throw new RetinaFaceError(
      'INVALID_ARGUMENT',
      `${what} is backed by a detached ArrayBuffer (transferred away before the call)`,
    );
  }
}

/** Validates raw pixels and copies them into an array of our own unless lent (gray + alpha keeps the gray channel). */
function capturePixels(input: PixelInput, limits: ImageLimits, lent: boolean): RawPixels {
  const { data, width, height, channels } = input;
  if (!(data instanceof Uint8Array))
    throw new RetinaFaceError('INVALID_ARGUMENT', 'pixels.data must be a Uint8Array or Buffer');
  assertAttached(data, 'pixels.data');
  for (const [name, v] of [
    ['width', width],
    ['height', height],
  ] as const) {
    if (!Number.isInteger(v) || v < 0)
      throw new RetinaFaceError('INVALID_ARGUMENT', `pixels.${name} must be a non-negative integer`);
  }
  if (![1, 2, 3, 4].includes(channels))
    throw new RetinaFaceError('INVALID_ARGUMENT', 'pixels.channels must be 1, 2, 3 or 4');
  if (data.length === 0 || width === 0 || height === 0)
    throw new RetinaFaceError('IMAGE_EMPTY', 'raw pixel input is empty');
  checkSize(width, height, limits);
  if (data.length !== width * height * channels) {
    throw new RetinaFaceError(
      'INVALID_ARGUMENT',
      `pixels.data has ${data.length} bytes; ${width}x${height}x${channels} needs ${width * height * channels}`,
    );
  }
  if (channels !== 2) {
    // Lent pixels are read where they are (their owner leaves them alone until the call settles).
    if (lent && data.buffer instanceof ArrayBuffer) return { data, width, height, channels };
    const own = new Uint8Array(data.length); // a plain ArrayBuffer, even from a SharedArrayBuffer or a Buffer
    own.set(data);
    return { data: own, width, height, channels };
  }
  // Gray + alpha: keep the gray channel (alpha is ignored everywhere, as the reference does).
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = data[2 * i]!;
  return { data: gray, width, height, channels: 1 };
}

/**
 * Takes what detect() needs from `input` synchronously, at call time: raw pixels and encoded bytes are copied,
 * a sharp pipeline is cloned, so nothing the caller does afterwards reaches the call. Throws typed errors.
 * `lent`: raw pixels are not copied (an internal caller that owns them and waits for the call, e.g. detectVideo).
 */
export function captureInput(input: ImageInput, limits: ImageLimits, lent = false): CapturedInput {
  if (typeof input === 'string') return { kind: 'path', path: input };
  if (Buffer.isBuffer(input) || input instanceof Uint8Array) {
    assertAttached(input, 'the image buffer');
    if (input.length === 0) throw new RetinaFaceError('IMAGE_EMPTY', 'image buffer is empty');
    return { kind: 'encoded', bytes: Buffer.from(input) };
  }
  if (isSharp(input)) return { kind: 'sharp', pipeline: input.clone() };
  if (isPixelInput(input)) return { kind: 'pixels', pixels: capturePixels(input, limits, lent) };
  throw new RetinaFaceError(
    'INVALID_ARGUMENT',
    'image must be a file path, an encoded image Buffer, raw pixels {data, width, height, channels} or a sharp instance',
  );
}

function decodeError(error: unknown): RetinaFaceError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message))
    return new RetinaFaceError('IMAGE_TOO_LARGE', `image is over the pixel limit: ${message}`, { cause: error });
  if (/Input file is missing/.test(message)) return new RetinaFaceError('IMAGE_NOT_FOUND', message, { cause: error });
  return new RetinaFaceError('IMAGE_DECODE_FAILED', `cannot decode image: ${message}`, { cause: error });
}

/** Only regular files: reading a FIFO or a device may never end (and would hold one of libuv's few threads). */
async function checkImageFile(file: string): Promise<void> {
  let stats: fs.Stats;
  try {
    stats = await fs.promises.stat(file);
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT' || code === 'ENOTDIR')
      throw new RetinaFaceError('IMAGE_NOT_FOUND', `no image file at '${file}'`, { cause: error });
    throw new RetinaFaceError('IMAGE_DECODE_FAILED', `cannot read '${file}': ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!stats.isFile())
    throw new RetinaFaceError('INVALID_ARGUMENT', `'${file}' is ${fileKind(stats)}, not an image file`);
  if (stats.size === 0) throw new RetinaFaceError('IMAGE_EMPTY', `image file '${file}' is empty`);
}

function sharpFor(input: CapturedInput, limits: ImageLimits): sharp.Sharp {
  const options = { limitInputPixels: limits.maxPixels, failOn: limits.failOn ?? 'truncated' } as const;
  if (input.kind === 'path') return sharp(input.path, options);
  if (input.kind === 'encoded') return sharp(input.bytes, options);
  if (input.kind === 'sharp') return input.pipeline;
  throw new Error('raw pixels need no decoder');
}

/**
 * The image's size from its header (sharp's metadata: no pixel is decoded), checked against the limits: a path must
 * be a non-empty regular file; the pixel limits apply to every kind of input before anything is decoded.
 */
export async function readHeader(input: CapturedInput, limits: ImageLimits): Promise<ImageHeader> {
  if (input.kind === 'pixels') return { width: input.pixels.width, height: input.pixels.height };
  if (input.kind === 'path') await checkImageFile(input.path);
  let metadata: sharp.Metadata;
  try {
    metadata = await sharpFor(input, limits).metadata();
  } catch (error) {
    throw decodeError(error);
  }
  const { width, height } = metadata;
  if (!width || !height)
    throw new RetinaFaceError('IMAGE_DECODE_FAILED', 'cannot decode image: its header gives no size');
  checkSize(width, height, limits);
  const display = metadata.autoOrient;
  return {
    width,
    height,
    ...(metadata.format ? { format: metadata.format } : {}),
    ...(display && (display.width !== width || display.height !== height)
      ? { display: { width: display.width, height: display.height } }
      : {}),
  };
}

async function decodeWithSharp(pipeline: sharp.Sharp, limits: ImageLimits, resize?: DecodeResize): Promise<RawPixels> {
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    let oriented = pipeline.autoOrient();
    // JPEG shrink-on-load (libjpeg's DCT scaling by 1/2, 1/4, 1/8) then libvips' own linear reduce to the exact size.
    if (resize)
      oriented = oriented.resize(resize.width, resize.height, {
        fit: 'fill',
        kernel: 'linear',
        fastShrinkOnLoad: true,
      });
    result = await oriented.removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
  } catch (error) {
    throw decodeError(error);
  }
  const { data, info } = result;
  checkSize(info.width, info.height, limits);
  if (info.channels !== 1 && info.channels !== 3) {
    throw new RetinaFaceError('IMAGE_DECODE_FAILED', `unsupported decoded image with ${info.channels} channels`);
  }
  return { data, width: info.width, height: info.height, channels: info.channels };
}

/**
 * Decodes a captured input (after readHeader) to uint8 gray/RGB(A) pixels in display orientation; with `resize`
 * (encoded inputs only), straight to that size.
 */
export async function decodeCaptured(
  input: CapturedInput,
  limits: ImageLimits,
  resize?: DecodeResize,
): Promise<RawPixels> {
  if (input.kind === 'pixels') return input.pixels;
  return decodeWithSharp(sharpFor(input, limits), limits, resize);
}

/** Decodes any supported input to uint8 gray/RGB(A) pixels in display orientation, with every check detect() makes. */
export async function decodeImage(input: ImageInput, limits: ImageLimits): Promise<RawPixels> {
  const captured = captureInput(input, limits);
  await readHeader(captured, limits);
  return decodeCaptured(captured, limits);
}
