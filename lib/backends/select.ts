/** Picks the backend for `backend: 'auto' | 'cpu' | 'tensorrt'` and explains the choice. */
import { RetinaFaceError } from '../errors';
import type { BackendInfo, InferenceBackend } from './backend';
import { CpuBackend } from './cpu';

/** Why TensorRT cannot be used here, or undefined when it can. */
export function tensorRtUnavailableReason(): string | undefined {
  // The TensorRT layer ships in a later release; until then every machine reports the same reason.
  return 'this build of retinaface-trt has no TensorRT layer (CPU only)';
}

export async function createBackend(
  requested: BackendInfo['requested'],
  modelPath: string,
  options: { cpuThreads?: number },
): Promise<{ backend: InferenceBackend; info: BackendInfo }> {
  const trtReason = tensorRtUnavailableReason();
  if (requested === 'tensorrt' && trtReason) {
    throw new RetinaFaceError('BACKEND_UNAVAILABLE', `backend 'tensorrt' is unavailable: ${trtReason}`);
  }
  const backend = await CpuBackend.load(modelPath, { threads: options.cpuThreads });
  const reason =
    requested === 'cpu' ? 'requested explicitly' : `TensorRT not used: ${trtReason ?? 'unknown reason'}`;
  return { backend, info: { name: 'cpu', requested, reason } };
}
