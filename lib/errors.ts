/** Stable error codes: match on `error.code`, never on the message. */
export const ErrorCodes = [
  'INVALID_ARGUMENT', // an option or argument is malformed
  'IMAGE_NOT_FOUND', // a file path that does not exist
  'IMAGE_EMPTY', // a zero-length buffer or raw pixel array
  'IMAGE_DECODE_FAILED', // corrupt, truncated or unsupported image data
  'IMAGE_TOO_SMALL', // below the smallest side the detector accepts
  'IMAGE_TOO_LARGE', // over the pixel limit (decompression-bomb guard)
  'MODEL_NOT_FOUND', // no model file at the resolved path, or none configured
  'MODEL_INVALID', // not an ONNX file, or not a RetinaFace graph
  'MODEL_OUTPUT_MISMATCH', // the model's outputs do not fit the RetinaFace head for this input
  'BACKEND_UNAVAILABLE', // the requested backend cannot run on this machine
  'INFERENCE_FAILED', // the inference runtime failed on valid input
  'DETECTOR_CLOSED', // the detector was closed
  'NATIVE_ERROR', // unexpected failure in the native addon
  'QUEUE_FULL', // too many calls waiting (option maxQueue): retry later
  'ABORTED', // the caller's AbortSignal fired
  'GROUND_TRUTH_NOT_FOUND', // no ground-truth file (gt.json or the WIDER .mat files) at the given path
  'GROUND_TRUTH_INVALID', // a ground-truth file that cannot be read or does not fit the expected layout
  'NO_IMAGES', // an evaluation found no image that is both on disk and in the ground truth
  'MODEL_DOWNLOAD_FAILED', // the registry model could not be downloaded (offline, HTTP error, truncated, wrong sha256)
  'CHECKPOINT_INVALID', // a weights file that is not a readable PyTorch state_dict of a supported RetinaFace
  'CHECKPOINT_UNSAFE', // a weights file whose pickle asks for code (globals or calls) a state_dict never needs
  'CALIBRATION_FAILED', // INT8 calibration found no image, or an image it cannot read
  'VIDEO_INVALID', // not a video: no container the decoder knows, or no video stream in it
  'VIDEO_DECODE_FAILED', // a video that stops decoding part way (truncated, corrupt); earlier frames were delivered
  'VIDEO_DECODER_MISSING', // the optional video decoder package (@ffmpeg-installer/ffmpeg) is not installed
  'VIDEO_ENCODE_FAILED', // an annotated copy of a video could not be written (the encoder failed or has no codec for it)
] as const;

export type ErrorCode = (typeof ErrorCodes)[number];

/**
 * The codes only the TypeScript side raises; every other code of ErrorCodes may also come from the native addon
 * (native/core/error_codes.h). test/native-error-codes.test.ts keeps the two in step. Not exported from the package.
 */
export const JS_ONLY_ERROR_CODES: readonly ErrorCode[] = [
  'IMAGE_NOT_FOUND',
  'IMAGE_EMPTY',
  'IMAGE_DECODE_FAILED',
  'IMAGE_TOO_SMALL',
  'IMAGE_TOO_LARGE',
  'MODEL_NOT_FOUND',
  'QUEUE_FULL',
  'ABORTED',
  'GROUND_TRUTH_NOT_FOUND',
  'GROUND_TRUTH_INVALID',
  'NO_IMAGES',
  'MODEL_DOWNLOAD_FAILED',
  'CHECKPOINT_INVALID',
  'CHECKPOINT_UNSAFE',
  'CALIBRATION_FAILED',
  'VIDEO_INVALID',
  'VIDEO_DECODE_FAILED',
  'VIDEO_DECODER_MISSING',
  'VIDEO_ENCODE_FAILED',
];

export class RetinaFaceError extends Error {
  override readonly name = 'RetinaFaceError';
  constructor(
    readonly code: ErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/** True for errors thrown by this package. */
export function isRetinaFaceError(error: unknown): error is RetinaFaceError {
  return error instanceof RetinaFaceError;
}

/** Re-throws native errors (which carry a string `code`) as RetinaFaceError; wraps anything else with `fallback`. */
export function toRetinaFaceError(error: unknown, fallback: ErrorCode, context?: string): RetinaFaceError {
  if (error instanceof RetinaFaceError) return error;
  const message = error instanceof Error ? error.message : String(error);
  const nativeCode = (error as { code?: unknown } | null)?.code;
  const code =
    typeof nativeCode === 'string' && (ErrorCodes as readonly string[]).includes(nativeCode)
      ? (nativeCode as ErrorCode)
      : fallback;
  return new RetinaFaceError(code, context ? `${context}: ${message}` : message, { cause: error });
}
