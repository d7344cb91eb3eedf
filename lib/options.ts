/** Detector options: types, defaults and validation (JS validates; the native side only works). */
import os from 'node:os';
import type { BackendLogger, TensorRtOptions, TensorRtPrecision } from './backends/tensorrt';
import { RetinaFaceError } from './errors';

/** TensorRT settings beyond precision; see docs/tensorrt.md. */
export type TensorRtSettings = Pick<
  TensorRtOptions,
  | 'fp16Model'
  | 'maxInputSize'
  | 'streams'
  | 'workspaceMb'
  | 'pinnedSlotMb'
  | 'cacheDir'
  | 'logLevel'
  | 'onEngineEvent'
  | 'layerDir'
>;

export type BackendName = 'auto' | 'cpu' | 'tensorrt';
/** How much damage in an image makes decoding fail, as sharp's `failOn`: 'warning' also refuses corrupt data. */
export type FailOn = 'none' | 'truncated' | 'error' | 'warning';
export type InputSize = number | readonly [width: number, height: number] | 'original';
/** 'fp16' / 'fp32': TensorRT precisions (the CPU runs the float model); 'int8': the INT8 QDQ model (see docs/int8.md). */
export type Precision = TensorRtPrecision | 'int8';
/** 'exact' decodes every pixel (bit-identical to the reference); 'fast' lets a large JPEG decode at 1/2, 1/4, 1/8. */
export type DecodeMode = 'exact' | 'fast';

export interface DetectorOptions {
  /** ONNX model path. Default: the RETINAFACE_MODEL environment variable. */
  model?: string;
  /** 'auto' (default) picks TensorRT when usable, else CPU; `detector.backendInfo` says which and why. */
  backend?: BackendName;
  /**
   * Network input: a square side (default 640), [width, height], or 'original' to run every image at its own size
   * (most accurate, slowest, one image per inference). Images are letterboxed: long side scaled to fit, top-left.
   */
  inputSize?: InputSize;
  /** Faces scoring at or below this are dropped. Default 0.5. */
  scoreThreshold?: number;
  /** IoU above which a lower-scoring overlapping face is suppressed. Default 0.4. */
  nmsThreshold?: number;
  /** Keep at most this many faces per image, highest scores first. Default 1000; 0 = no cap. */
  maxFaces?: number;
  /** Candidates considered by NMS, highest scores first. Default 5000; 0 = all. */
  preNmsTopK?: number;
  /** Clip boxes to the image (landmarks are never clipped). Default true. */
  clip?: boolean;
  /** Largest image accepted, in pixels (width x height), checked before decoding. Default 100 megapixels. */
  maxPixels?: number;
  /** Smallest image side accepted. Default 8. (Each side is at most 65536 pixels, the native letterbox's limit.) */
  minSide?: number;
  /**
   * Decoded pixels all calls together may hold, from decode to result; further calls wait their turn (first come,
   * first served, counted in maxQueue). An image larger than the whole budget runs alone. Default 200 megapixels.
   */
  maxInflightPixels?: number;
  /**
   * inputSize 'original' only: largest image run at its own size (its tensors and onnxruntime's activations take
   * about 40 bytes a pixel); larger ones fail with IMAGE_TOO_LARGE. Default 16 megapixels.
   */
  maxOriginalPixels?: number;
  /** Decode damage that fails a call with IMAGE_DECODE_FAILED, as sharp's failOn. Default 'truncated'. */
  failOn?: FailOn;
  /**
   * Dynamic batching: concurrent detect() calls run as one inference of up to maxBatch images (when the model has a
   * dynamic batch), as soon as maxBatch wait or the oldest has waited maxDelayMs. Defaults 8 and 2 ms.
   */
  maxBatch?: number;
  maxDelayMs?: number;
  /** Calls allowed to wait (decoding or queued); beyond it detect() rejects at once with QUEUE_FULL. Default 256. */
  maxQueue?: number;
  /** CPU backend: threads for one inference, at most os.availableParallelism(). Default: onnxruntime's choice (all cores). */
  cpuThreads?: number;
  /**
   * TensorRT backend: 'fp16' (default; built from the FP16 twin of the model) or 'fp32' (TF32 off). 'int8' (both
   * backends): the INT8 QDQ model, `model` itself when it is one (named *.int8.onnx), else `<model>.int8.onnx` beside
   * it (make it with `retinaface quantize`).
   */
  precision?: Precision;
  /**
   * Fixed input sizes: 'fast' decodes a JPEG at least 3x larger than the letterbox straight to the letterbox's size
   * (libjpeg shrink-on-load at 1/2, 1/4 or 1/8, then a linear reduce); faces are mapped back to the original's
   * pixels. Default 'exact' (every pixel decoded, then our letterbox: the reference's results).
   */
  decode?: DecodeMode;
  /** TensorRT backend: streams, workspace, engine cache folder, log level, engine-build events... */
  tensorrt?: TensorRtSettings;
  /** Receives the backend choice, TensorRT's log and engine-build news. Default: warnings on stderr. */
  log?: BackendLogger;
}

export interface ResolvedOptions {
  model: string | undefined;
  backend: BackendName;
  inputSize: { width: number; height: number } | 'original';
  inputSizeExplicit: boolean;
  scoreThreshold: number;
  nmsThreshold: number;
  maxFaces: number;
  preNmsTopK: number;
  clip: boolean;
  maxPixels: number;
  minSide: number;
  maxInflightPixels: number;
  maxOriginalPixels: number;
  failOn: FailOn;
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  cpuThreads: number | undefined;
  precision: Precision;
  decode: DecodeMode;
  tensorrt: TensorRtSettings;
  log: BackendLogger | undefined;
}

export const DEFAULT_INPUT_SIZE = 640;
const FAIL_ON: readonly FailOn[] = ['none', 'truncated', 'error', 'warning'];
const MAX_INPUT_SIDE = 8192;

function invalid(message: string): never {
  throw new RetinaFaceError('INVALID_ARGUMENT', message);
}

/** A value as a message shows it: numbers plainly, anything else as JSON with its type ("0.5" (string)). */
export function describeValue(value: unknown): string {
  if (typeof value === 'number') return String(value);
  let json: string | undefined;
  try {
    json = JSON.stringify(value);
  } catch {
    json = undefined;
  }
  return `${json ?? String(value)} (${value === null ? 'null' : typeof value})`;
}

export function numberIn(name: string, value: unknown, min: number, max: number, integer = false): number {
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < min ||
    value > max ||
    (integer && !Number.isInteger(value))
  ) {
    invalid(`${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${describeValue(value)}`);
  }
  return value;
}

function side(name: string, value: unknown): number {
  return numberIn(name, value, 16, MAX_INPUT_SIDE, true);
}

function resolveInputSize(value: InputSize | undefined): ResolvedOptions['inputSize'] {
  if (value === undefined) return { width: DEFAULT_INPUT_SIZE, height: DEFAULT_INPUT_SIZE };
  if (value === 'original') return 'original';
  if (typeof value === 'number') {
    const s = side('inputSize', value);
    return { width: s, height: s };
  }
  if (Array.isArray(value) && value.length === 2) {
    return { width: side('inputSize[0] (width)', value[0]), height: side('inputSize[1] (height)', value[1]) };
  }
  return invalid(`inputSize must be a number, [width, height] or 'original', got ${JSON.stringify(value)}`);
}

export function resolveOptions(options: DetectorOptions = {}): ResolvedOptions {
  if (typeof options !== 'object' || options === null) invalid('options must be an object');
  const known = new Set([
    'model',
    'backend',
    'inputSize',
    'scoreThreshold',
    'nmsThreshold',
    'maxFaces',
    'preNmsTopK',
    'clip',
    'maxPixels',
    'minSide',
    'maxInflightPixels',
    'maxOriginalPixels',
    'failOn',
    'maxBatch',
    'maxDelayMs',
    'maxQueue',
    'cpuThreads',
    'precision',
    'tensorrt',
    'log',
    'decode',
  ]);
  for (const key of Object.keys(options)) if (!known.has(key)) invalid(`unknown option '${key}'`);
  const backend = options.backend ?? 'auto';
  if (!['auto', 'cpu', 'tensorrt'].includes(backend))
    invalid(`backend must be 'auto', 'cpu' or 'tensorrt', got '${backend}'`);
  if (options.model !== undefined && (typeof options.model !== 'string' || options.model === '')) {
    invalid('model must be a non-empty path');
  }
  if (options.clip !== undefined && typeof options.clip !== 'boolean') invalid('clip must be a boolean');
  const precision = options.precision ?? 'fp16';
  if (precision !== 'fp16' && precision !== 'fp32' && precision !== 'int8') {
    invalid(`precision must be 'fp16', 'fp32' or 'int8', got '${String(precision)}'`);
  }
  const decode = options.decode ?? 'exact';
  if (decode !== 'exact' && decode !== 'fast')
    invalid(`decode must be 'exact' or 'fast', got ${describeValue(decode)}`);
  if (options.tensorrt !== undefined && (typeof options.tensorrt !== 'object' || options.tensorrt === null))
    invalid('tensorrt must be an object');
  if (options.log !== undefined && typeof options.log !== 'function')
    invalid('log must be a function (level, message)');
  const failOn = options.failOn ?? 'truncated';
  if (!FAIL_ON.includes(failOn))
    invalid(`failOn must be one of ${FAIL_ON.map((f) => `'${f}'`).join(', ')}, got ${describeValue(failOn)}`);
  return {
    model: options.model,
    backend,
    inputSize: resolveInputSize(options.inputSize),
    inputSizeExplicit: options.inputSize !== undefined,
    scoreThreshold: numberIn('scoreThreshold', options.scoreThreshold ?? 0.5, 0, 1),
    nmsThreshold: numberIn('nmsThreshold', options.nmsThreshold ?? 0.4, 0, 1),
    maxFaces: numberIn('maxFaces', options.maxFaces ?? 1000, 0, 1e6, true),
    preNmsTopK: numberIn('preNmsTopK', options.preNmsTopK ?? 5000, 0, 1e7, true),
    clip: options.clip ?? true,
    maxPixels: numberIn('maxPixels', options.maxPixels ?? 100_000_000, 1, 2 ** 31, true),
    minSide: numberIn('minSide', options.minSide ?? 8, 1, 4096, true),
    maxInflightPixels: numberIn('maxInflightPixels', options.maxInflightPixels ?? 200_000_000, 1, 2 ** 40, true),
    maxOriginalPixels: numberIn('maxOriginalPixels', options.maxOriginalPixels ?? 16_000_000, 1, 2 ** 32, true),
    failOn,
    maxBatch: numberIn('maxBatch', options.maxBatch ?? 8, 1, 256, true),
    maxDelayMs: numberIn('maxDelayMs', options.maxDelayMs ?? 2, 0, 10_000),
    maxQueue: numberIn('maxQueue', options.maxQueue ?? 256, 1, 1_000_000, true),
    // More threads than cores only makes one inference slower (64 s for one call with 1024 threads on 2 cores).
    cpuThreads:
      options.cpuThreads === undefined
        ? undefined
        : numberIn('cpuThreads (at most the available cores)', options.cpuThreads, 1, os.availableParallelism(), true),
    precision,
    decode,
    tensorrt: options.tensorrt ?? {},
    log: options.log,
  };
}
