/** Picks the backend for `backend: 'auto' | 'cpu' | 'tensorrt'` and explains the choice. */
import { RetinaFaceError } from '../errors';
import type { BackendInfo, DetectionBackend } from './backend';
import { CpuBackend } from './cpu';
import {
  type BackendLogger,
  defaultBackendLogger,
  probeTensorRt,
  TensorRtBackend,
  type TensorRtOptions,
} from './tensorrt';

/** Why TensorRT cannot be used here (library, driver, GPU or a piece of this build), or undefined when it can. */
export function tensorRtUnavailableReason(options: { layerDir?: string } = {}): string | undefined {
  const probe = probeTensorRt(options);
  return probe.available ? undefined : (probe.reason ?? 'TensorRT cannot run here');
}

export interface SelectOptions {
  cpuThreads?: number;
  /** Everything the TensorRT backend needs besides the model path. */
  tensorrt: Omit<TensorRtOptions, 'model' | 'log'>;
  /** Where the choice, TensorRT's log and engine-build news go. Default: stderr for warnings and build news. */
  log?: BackendLogger;
}

export interface BackendSelection {
  backend: DetectionBackend;
  info: BackendInfo;
}

/**
 * 'tensorrt' opens TensorRT or fails with its typed error (BACKEND_UNAVAILABLE naming what is missing); 'cpu' opens
 * onnxruntime; 'auto' tries TensorRT where the probe allows it and otherwise (or when it fails to open) falls back
 * to the CPU, logging why and saying so in `info.reason`.
 */
export async function selectBackend(
  requested: BackendInfo['requested'],
  modelPath: string,
  options: SelectOptions,
): Promise<BackendSelection> {
  const log = options.log ?? defaultBackendLogger;
  const cpu = async (reason: string): Promise<BackendSelection> => ({
    backend: await CpuBackend.load(modelPath, { threads: options.cpuThreads }),
    info: { name: 'cpu', requested, reason },
  });
  if (requested === 'cpu') return cpu('requested explicitly');

  const unavailable = tensorRtUnavailableReason({ layerDir: options.tensorrt.layerDir });
  if (requested === 'tensorrt' && unavailable) {
    throw new RetinaFaceError('BACKEND_UNAVAILABLE', `backend 'tensorrt' is unavailable: ${unavailable}`);
  }
  let fallback = unavailable;
  if (!unavailable) {
    try {
      const trt = await TensorRtBackend.load({ ...options.tensorrt, model: modelPath, log });
      const { engine } = trt;
      return {
        backend: trt,
        info: {
          name: 'tensorrt',
          requested,
          reason:
            `TensorRT ${engine.tensorrtVersion} ${engine.precision} on ${engine.gpu.name} ` +
            `(engine ${engine.built ? 'built' : 'cached'}: ${engine.enginePath})`,
        },
      };
    } catch (error) {
      if (requested === 'tensorrt') throw error;
      fallback = `TensorRT failed to open: ${(error as Error).message}`;
    }
  }
  const reason = `TensorRT not used: ${fallback}`;
  log(requested === 'auto' && !unavailable ? 'warning' : 'debug', `backend auto: using the CPU. ${reason}`);
  return cpu(reason);
}
