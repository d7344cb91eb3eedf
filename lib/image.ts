/** Image inputs -> decoded uint8 pixels (EXIF orientation applied), with size limits. Letterboxing is native. */
import fs from 'node:fs';
import sharp from 'sharp';
import type { RawPixels } from './binding';
import { RetinaFaceError } from './errors';

/** Raw pixels supplied by the caller: HWC, row-major, no padding between rows. */
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
  if (width < limits.minSide || height < limits.minSide) {
    throw new RetinaFaceError(
      'IMAGE_TOO_SMALL',
      `image is ${width}x${height}; both sides must be at least ${limits.minSide} pixels (option minSide)`,
    );
  }
}

function fromPixels(input: PixelInput, limits: ImageLimits): RawPixels {
  const { data, width, height, channels } = input;
  if (!(data instanceof Uint8Array)) throw new RetinaFaceError('INVALID_ARGUMENT', 'pixels.data must be a Uint8Array or Buffer');
  for (const [name, v] of [['width', width], ['height', height]] as const) {
    if (!Number.isInteger(v) || v < 0) throw new RetinaFaceError('INVALID_ARGUMENT', `pixels.${name} must be a non-negative integer`);
  }
  if (![1, 2, 3, 4].includes(channels)) throw new RetinaFaceError('INVALID_ARGUMENT', 'pixels.channels must be 1, 2, 3 or 4');
  if (data.length === 0 || width === 0 || height === 0) throw new RetinaFaceError('IMAGE_EMPTY', 'raw pixel input is empty');
  checkSize(width, height, limits);
  if (data.length !== width * height * channels) {
    throw new RetinaFaceError(
      'INVALID_ARGUMENT',
      `pixels.data has ${data.length} bytes; ${width}x${height}x${channels} needs ${width * height * channels}`,
    );
  }
  if (channels !== 2) return { data, width, height, channels };
  // Gray + alpha: keep the gray channel (alpha is ignored everywhere, as the reference does).
  const gray = new Uint8Array(width * height);
  for (let i = 0; i < gray.length; i++) gray[i] = data[2 * i]!;
  return { data: gray, width, height, channels: 1 };
}

function decodeError(error: unknown): RetinaFaceError {
  const message = error instanceof Error ? error.message : String(error);
  if (/pixel limit/i.test(message)) return new RetinaFaceError('IMAGE_TOO_LARGE', `image is over the pixel limit: ${message}`, { cause: error });
  if (/Input file is missing/.test(message)) return new RetinaFaceError('IMAGE_NOT_FOUND', message, { cause: error });
  return new RetinaFaceError('IMAGE_DECODE_FAILED', `cannot decode image: ${message}`, { cause: error });
}

async function decodeWithSharp(pipeline: sharp.Sharp, limits: ImageLimits): Promise<RawPixels> {
  let result: { data: Buffer; info: sharp.OutputInfo };
  try {
    result = await pipeline.autoOrient().removeAlpha().raw({ depth: 'uchar' }).toBuffer({ resolveWithObject: true });
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

/** Decodes any supported input to uint8 gray/RGB(A) pixels in display orientation. */
export async function decodeImage(input: ImageInput, limits: ImageLimits): Promise<RawPixels> {
  if (typeof input === 'string') {
    if (!fs.existsSync(input)) throw new RetinaFaceError('IMAGE_NOT_FOUND', `no image file at '${input}'`);
    return decodeWithSharp(sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'truncated' }), limits);
  }
  if (Buffer.isBuffer(input) || input instanceof Uint8Array) {
    if (input.length === 0) throw new RetinaFaceError('IMAGE_EMPTY', 'image buffer is empty');
    return decodeWithSharp(sharp(input, { limitInputPixels: limits.maxPixels, failOn: 'truncated' }), limits);
  }
  if (isSharp(input)) return decodeWithSharp(input.clone(), limits);
  if (isPixelInput(input)) return fromPixels(input, limits);
  throw new RetinaFaceError(
    'INVALID_ARGUMENT',
    'image must be a file path, an encoded image Buffer, raw pixels {data, width, height, channels} or a sharp instance',
  );
}
