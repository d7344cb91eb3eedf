/** What this installation can do: the addon, its CUDA kernels, the GPU, TensorRT, and what 'auto' would choose. */
import fs from 'node:fs';
import path from 'node:path';
import { probeTensorRt, type TensorRtProbe } from './backends/tensorrt';
import { binding } from './binding';

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

function packageVersion(): string {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json'))) dir = path.dirname(dir);
  return (JSON.parse(fs.readFileSync(path.join(dir, 'package.json'), 'utf8')) as { version: string }).version;
}

export function runtimeInfo(): RuntimeInfo {
  const native = binding() as ReturnType<typeof binding> & { cudaInfo?: () => CudaInfo };
  const tensorrt = probeTensorRt();
  return {
    packageVersion: packageVersion(),
    node: process.version,
    napiVersion: native.napiVersion,
    cuda: native.cudaInfo ? native.cudaInfo() : null,
    tensorrt,
    auto: tensorrt.available
      ? { backend: 'tensorrt', reason: `TensorRT ${tensorrt.tensorrtVersion ?? ''} is usable` }
      : { backend: 'cpu', reason: tensorrt.reason ?? 'TensorRT cannot run here' },
  };
}
