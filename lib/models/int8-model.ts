/** `precision: 'int8'`: which file holds the INT8 QDQ model for a given model path. */
import fs from 'node:fs';
import path from 'node:path';
import { RetinaFaceError } from '../errors';

export const INT8_SUFFIX = '.int8.onnx';

/** `model` itself when it is an INT8 model (*.int8.onnx), else `<dir>/<name>.int8.onnx`. */
export function int8ModelPathFor(model: string): string {
  if (model.endsWith(INT8_SUFFIX)) return model;
  const parsed = path.parse(model);
  return path.join(parsed.dir, `${parsed.ext === '.onnx' ? parsed.name : parsed.base}${INT8_SUFFIX}`);
}

/** The INT8 model for `model`; MODEL_NOT_FOUND, saying how to make it, when it does not exist. */
export function resolveInt8Model(model: string): string {
  const int8 = int8ModelPathFor(model);
  if (!fs.existsSync(int8)) {
    throw new RetinaFaceError(
      'MODEL_NOT_FOUND',
      `precision 'int8' needs an INT8 model at '${int8}'; make it with ` +
        `\`retinaface quantize ${model} --calibrate <image folder> -o ${int8}\` (or pass that file as model)`,
    );
  }
  return int8;
}
