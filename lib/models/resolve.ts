/** Where the model comes from: an explicit path, else RETINAFACE_MODEL. */
import path from 'node:path';
import { RetinaFaceError } from '../errors';

export const MODEL_ENV = 'RETINAFACE_MODEL';

export function resolveModelPath(explicit: string | undefined, env: NodeJS.ProcessEnv = process.env): string {
  const chosen = explicit ?? env[MODEL_ENV];
  if (!chosen) {
    throw new RetinaFaceError(
      'MODEL_NOT_FOUND',
      `no model given: pass { model: '/path/to/retinaface.onnx' } or set ${MODEL_ENV} to a RetinaFace ONNX file`,
    );
  }
  return path.resolve(chosen);
}
