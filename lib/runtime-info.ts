/** What this installation can do: the addon, its CUDA kernels, the GPU, TensorRT, and what 'auto' would choose. */
import { probeTensorRt, type TensorRtProbe } from './backends/tensorrt';
import { binding } from './binding';
import { packageInfo } from './package-root';

export interface CudaInfo {
  compiledArchitectures: string[];
  runtimeVersion: number;
  driverVersion: number;
  devicePresent: boolean;
  devices: { index: number; name: string; computeCapability: string; totalMemory: number; kernelImage: string }[];
  deviceError?: string;
}

export interface RuntimeInfo {
  packageVersion: string;
  node: string;
  napiVersion: number;
  /** The CUDA kernels compiled into the addon, or null for a CPU-only build (the node-gyp fallback). */
  cuda: CudaInfo | null;
  tensorrt: TensorRtProbe;
  /** What `backend: 'auto'` picks here, and why. */
  auto: { backend: 'tensorrt' | 'cpu'; reason: string };
}

export function runtimeInfo(): RuntimeInfo {
  const native = binding() as ReturnType<typeof binding> & { cudaInfo?: () => CudaInfo };
  const tensorrt = probeTensorRt();
  return {
    packageVersion: packageInfo().version,
    node: process.version,
    napiVersion: native.napiVersion,
    cuda: native.cudaInfo ? native.cudaInfo() : null,
    tensorrt,
    auto: tensorrt.available
      ? { backend: 'tensorrt', reason: `TensorRT ${tensorrt.tensorrtVersion ?? ''} is usable` }
      : { backend: 'cpu', reason: tensorrt.reason ?? 'TensorRT cannot run here' },
  };
}
