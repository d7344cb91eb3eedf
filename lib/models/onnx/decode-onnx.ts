/** Decoding an ONNX file's bytes into a model with a graph, with the MODEL_INVALID errors every reader shares. */
import { RetinaFaceError } from '../../errors';
import { decodeModel } from './graph-builder';

export function decodeOnnxFile(file: string, bytes: Uint8Array) {
  let model;
  try {
    model = decodeModel(bytes);
  } catch (error) {
    throw new RetinaFaceError('MODEL_INVALID', `${file} is not an ONNX model: ${(error as Error).message}`, {
      cause: error,
    });
  }
  if (!model.graph?.node?.length) throw new RetinaFaceError('MODEL_INVALID', `${file} is not an ONNX model (no graph)`);
  return model as typeof model & { graph: NonNullable<typeof model.graph> };
}
