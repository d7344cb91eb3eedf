/** `retinaface doctor`: what this installation supports, in words (or JSON). */
import type { Command } from 'commander';
import { runtimeInfo } from '../runtime-info';

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
        `TensorRT:      ${info.tensorrt.available ? `${info.tensorrt.tensorrtVersion} (${info.tensorrt.libraryPath ?? ''})` : `unavailable: ${info.tensorrt.reason}`}`,
        `backend auto:  ${info.auto.backend} (${info.auto.reason})`,
      ];
      console.log(lines.join('\n'));
    });
}
