/** The library side of `retinaface quantize`: float32 ONNX + calibration images -> INT8 QDQ ONNX. */
import { onnx } from 'onnx-proto';
import { RetinaFaceError } from '../../../errors';
import { checkFileTarget, writeFileAtomic } from '../../atomic-write';
import { readModelInput } from '../../input-file';
import { decodeModel, encodeModel } from '../graph-builder';
import {
  CALIBRATION_METHODS,
  type CalibrationMethod,
  chooseCalibrationImages,
  collectRanges,
  listCalibrationImages,
  rangesFor,
} from './calibrate';
import type { AbsHistogram } from './histogram';
import { type ActivationType, type BiasMode, insertQdq, planQuantization } from './qdq';

export interface QuantizeOptions {
  /** Folder of calibration images (searched recursively). */
  calibrate: string;
  /** 'minmax' | 'percentile' | 'entropy'. Default 'percentile'. */
  method?: CalibrationMethod;
  /** How many images of the folder to use (spread evenly over the sorted list). Default 200; all if fewer. */
  images?: number;
  /** Square input size the images are letterboxed to. Default 640. */
  inputSize?: number;
  /** 'int32' (default; onnxruntime's CPU QLinearConv fusion needs it) or 'float'. */
  bias?: BiasMode;
  /**
   * Leading activation tensors (graph order, the input first) left float32: their Convs run in float from int8
   * weights. Default 13: the input and the first 6 Convs of MobileNet-0.25 (320x320 and 160x160 at 640), where int8
   * activations cost most of the accuracy (measured, docs/int8.md); 23 keeps all of stage 1; 0 quantizes every one.
   */
  keepFloat?: number;
  /**
   * 'uint8' (default): asymmetric activations, what onnxruntime's x86 CPU kernels fuse everywhere (QLinearConv for
   * the depthwise Convs too). 'int8': symmetric, zero point 0, as TensorRT's explicit quantization requires.
   */
  activations?: ActivationType;
  onProgress?: (done: number, total: number) => void;
}

export const DEFAULT_CALIBRATION_IMAGES = 200;
export const DEFAULT_KEEP_FLOAT = 13;
const MAX_MODEL_BYTES = 2 ** 31 - 1;

function invalid(message: string): never {
  throw new RetinaFaceError('INVALID_ARGUMENT', message);
}

function checkOptions(options: QuantizeOptions): void {
  if (options.method !== undefined && !CALIBRATION_METHODS.includes(options.method)) {
    invalid(`method must be one of ${CALIBRATION_METHODS.join(', ')}, got ${JSON.stringify(options.method)}`);
  }
  if (options.images !== undefined && (!Number.isInteger(options.images) || options.images < 1)) {
    invalid(`images must be a positive integer, got ${JSON.stringify(options.images)}`);
  }
  if (options.keepFloat !== undefined && (!Number.isInteger(options.keepFloat) || options.keepFloat < 0)) {
    invalid(`keepFloat must be a non-negative integer, got ${JSON.stringify(options.keepFloat)}`);
  }
  if (options.activations !== undefined && options.activations !== 'uint8' && options.activations !== 'int8') {
    invalid(`activations must be 'uint8' or 'int8', got ${JSON.stringify(options.activations)}`);
  }
  if (options.bias !== undefined && options.bias !== 'int32' && options.bias !== 'float')
    invalid(`bias must be 'int32' or 'float'`);
  if (
    options.inputSize !== undefined &&
    (!Number.isInteger(options.inputSize) || options.inputSize < 32 || options.inputSize > 4096)
  ) {
    invalid('inputSize must be an integer in [32, 4096]');
  }
}

export interface Calibration {
  model: onnx.ModelProto;
  plan: ReturnType<typeof planQuantization>;
  histograms: Map<string, AbsHistogram>;
  images: number;
  keepFloat: number;
}

/** Runs the calibration images once; `toQdq` then writes a model for any method from the same statistics. */
export async function calibrateModel(modelBytes: Uint8Array, options: QuantizeOptions): Promise<Calibration> {
  checkOptions(options);
  let model: onnx.ModelProto;
  try {
    model = decodeModel(modelBytes);
  } catch (error) {
    throw new RetinaFaceError('MODEL_INVALID', `not an ONNX model: ${(error as Error).message}`, { cause: error });
  }
  const keepFloat = options.keepFloat ?? DEFAULT_KEEP_FLOAT;
  const full = planQuantization(model);
  const plan = { ...full, tensors: full.tensors.slice(keepFloat) };
  if (plan.tensors.length === 0)
    invalid(`keepFloat ${keepFloat} leaves nothing to quantize (the model has ${full.tensors.length} activations)`);
  const images = chooseCalibrationImages(
    listCalibrationImages(options.calibrate),
    options.images ?? DEFAULT_CALIBRATION_IMAGES,
  );
  const histograms = await collectRanges(model, plan.tensors, images, {
    inputSize: options.inputSize ?? 640,
    ...(options.onProgress ? { onProgress: options.onProgress } : {}),
  });
  return { model, plan, histograms, images: images.length, keepFloat };
}

export function toQdq(
  calibration: Calibration,
  method: CalibrationMethod,
  bias: BiasMode = 'int32',
  activations: ActivationType = 'int8',
): Uint8Array {
  const minMax = new Map([...calibration.histograms].map(([name, h]) => [name, { min: h.min, max: h.max }]));
  return encodeModel(
    insertQdq(calibration.model, calibration.plan, {
      ranges: rangesFor(calibration.histograms, method),
      bias,
      method,
      images: calibration.images,
      keepFloat: calibration.keepFloat,
      activations,
      minMax,
    }),
  );
}

/** Quantizes `inputFile` and writes the QDQ model to `outputFile` (atomically). Returns what was done. */
export async function quantizeModelFile(
  inputFile: string,
  outputFile: string,
  options: QuantizeOptions,
): Promise<{ method: CalibrationMethod; images: number; quantizedTensors: number }> {
  checkOptions(options);
  await checkFileTarget(outputFile);
  const bytes = await readModelInput(inputFile, {
    maxBytes: MAX_MODEL_BYTES,
    tooLargeCode: 'MODEL_INVALID',
    what: 'ONNX model',
  });
  const calibration = await calibrateModel(bytes, options);
  const method = options.method ?? 'percentile';
  await writeFileAtomic(outputFile, toQdq(calibration, method, options.bias, options.activations ?? 'uint8'));
  return { method, images: calibration.images, quantizedTensors: calibration.plan.tensors.length };
}
