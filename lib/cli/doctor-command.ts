/** `retinaface doctor`: what this installation supports, in words (or JSON). */
import path from 'node:path';
import type { Command } from 'commander';
import { runtimeInfo } from '../runtime-info';

/** "libretinaface_trt11.so, libretinaface_trt10.so in <dir>", or which are missing. */
function describeLayers(
  layers: { major: number; path: string; present: boolean; error?: string }[] | undefined,
): string {
  if (!layers || layers.length === 0) return 'none looked for (CPU-only addon)';
  const present = layers.filter((layer) => layer.present).map((layer) => path.basename(layer.path));
  const absent = layers.filter((layer) => !layer.present).map((layer) => path.basename(layer.path));
  const dir = path.dirname(layers[0]!.path);
  return `${present.length ? present.join(', ') : 'none'} in ${dir}${absent.length ? ` (not built: ${absent.join(', ')})` : ''}`;
}

export function registerDoctorCommand(program: Command): void {
  program
    .command('doctor')
    .description('report the addon, CUDA kernels, GPU, TensorRT and which backend auto would choose')
    .option('--json', 'print JSON')
    .action((flags: { json?: boolean }) => {
      const info = runtimeInfo();
      if (flags.json) {
        console.log(JSON.stringify(info, null, 2));
        return;
      }
      const cuda = info.cuda;
      const lines = [
        `retinaface-trt ${info.packageVersion} on Node ${info.node}, N-API ${info.napiVersion}`,
        `CUDA kernels:  ${cuda ? `compiled for ${cuda.compiledArchitectures.join(', ')} (CUDA runtime ${cuda.runtimeVersion})` : 'not in this build (CPU-only addon)'}`,
        `GPU:           ${cuda?.devicePresent ? cuda.devices.map((d) => `${d.name} (sm ${d.computeCapability}, driver ${cuda.driverVersion})`).join('; ') : `none found${cuda?.deviceError ? ` (${cuda.deviceError})` : ''}`}`,
        `TensorRT layers: ${describeLayers(info.tensorrt.layers)}`,
        `TensorRT:      ${info.tensorrt.available ? `${info.tensorrt.tensorrtVersion} (${info.tensorrt.libraryPath ?? ''})` : `unavailable: ${info.tensorrt.reason}`}`,
        `backend auto:  ${info.auto.backend} (${info.auto.reason})`,
      ];
      console.log(lines.join('\n'));
    });
}
