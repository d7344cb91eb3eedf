/**
 * The detector flags several commands share: one definition each (wording, parser, default), and their mapping to
 * DetectorOptions.
 */
import { Option } from 'commander';
import type { BackendName, DetectorOptions, InputSize } from '../options';
import { parseInputSize, parseNumber } from './parse';

export interface DetectorFlags {
  model?: string;
  backend: BackendName;
  score: number;
  nms?: number;
  inputSize?: InputSize;
  maxPixels?: number;
}

export function modelOption(): Option {
  return new Option('-m, --model <path>', 'RetinaFace ONNX model (default: $RETINAFACE_MODEL)');
}

export function backendOption(): Option {
  return new Option('--backend <name>', 'inference backend').choices(['auto', 'cpu', 'tensorrt']).default('auto');
}

export function scoreOption(description = 'minimum face score', defaultScore = 0.5): Option {
  return new Option('-s, --score <threshold>', description).default(defaultScore).argParser(parseNumber);
}

export function nmsOption(): Option {
  return new Option('--nms <iou>', 'NMS IoU threshold').default(0.4).argParser(parseNumber);
}

export function inputSizeOption(description = "network input: 640, WIDTHxHEIGHT or 'original'"): Option {
  return new Option('--input-size <size>', description).argParser(parseInputSize);
}

/** The DetectorOptions these flags set; a flag left unset leaves its option to the detector's default. */
export function detectorOptions(flags: DetectorFlags): DetectorOptions {
  return {
    model: flags.model,
    backend: flags.backend,
    scoreThreshold: flags.score,
    ...(flags.nms !== undefined ? { nmsThreshold: flags.nms } : {}),
    ...(flags.inputSize !== undefined ? { inputSize: flags.inputSize } : {}),
    ...(flags.maxPixels !== undefined ? { maxPixels: flags.maxPixels } : {}),
  };
}
