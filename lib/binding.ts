/** Loads the native addon (prebuilt or locally built) and types its surface. */
import nodeGypBuild from 'node-gyp-build';
import { packageInfo } from './package-root';

/** Where and how an image was placed in the network input; produced by preprocess, consumed by postprocess. */
export interface Letterbox {
  sourceWidth: number;
  sourceHeight: number;
  inputWidth: number;
  inputHeight: number;
  resizedWidth: number;
  resizedHeight: number;
  scale: number;
}

export interface RawPixels {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 1 | 3 | 4;
}

export interface RawOutputs {
  loc: Float32Array;
  conf: Float32Array;
  landms: Float32Array;
}

export interface PostprocessOptions {
  scoreThreshold: number;
  nmsThreshold: number;
  preNmsTopK: number;
  maxFaces: number;
  clip: boolean;
}

/** Floats per face in the flat arrays the addon returns: box(4), score(1), landmarks(10). */
export const FACE_FLOATS = 15;

export interface NativeBinding {
  /** Letterboxes images into `out` (float32 NCHW, BGR minus mean); a null canvas means original size (one image). */
  preprocess(
    images: RawPixels[],
    canvas: { width: number; height: number } | null,
    out: Float32Array,
  ): Promise<Letterbox[]>;
  /** Decode + NMS of a batch, synchronously (tens of microseconds an image); faces are in original-image pixels. */
  postprocess(
    outputs: RawOutputs,
    letterboxes: Letterbox[],
    options: PostprocessOptions,
  ): { faces: Float32Array; counts: Int32Array };
  /**
   * ArcFace-aligned crops of one image's faces (10 landmark numbers a face) into `out` (one array of size * size * 3
   * bytes a face, RGB), on the addon's job thread; resolves with 12 numbers a face: the source -> crop matrix, then
   * its inverse.
   */
  alignFaces(image: RawPixels, landmarks: Float64Array, size: number, out: Uint8Array[]): Promise<Float64Array>;
  napiVersion: number;
  /** Every `code` a native error can carry (native/core/error_codes.h); each is one of ErrorCodes. */
  errorCodes: readonly string[];
}

let cached: NativeBinding | undefined;

export function binding(): NativeBinding {
  cached ??= nodeGypBuild(packageInfo().root) as NativeBinding;
  return cached;
}
