/** `retinaface verify [images...]`: TensorRT against the CPU backend on this machine, one table (or JSON). */
import type { Command } from 'commander';
import { probeTensorRt } from '../backends/tensorrt';
import { formatVerifyReport, packagedSamples, VerifyExitCodes, verifyTensorRt } from '../verify';

interface VerifyFlags {
  json?: boolean;
  model?: string;
  cacheDir?: string;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description('build/load the TensorRT engines and compare their faces with the CPU backend (exit 0 ok, 1 mismatch, 2 error, 3 TensorRT unavailable)')
    .argument('[images...]', "photos to compare (default: the package's sample photos)")
    .option('--json', 'print the report as JSON (attach it to a bug report)')
    .option('-m, --model <path>', 'RetinaFace ONNX model (default: $RETINAFACE_MODEL)')
    .option('--cache-dir <dir>', 'engine cache folder')
    .action(async (images: string[], flags: VerifyFlags) => {
      const chosen = images.length ? images : packagedSamples();
      // Without TensorRT the report needs no image: it says what is missing.
      if (chosen.length === 0 && probeTensorRt().available) {
        console.error('retinaface verify: no images: give photo paths (this package has no sample photos)');
        process.exitCode = VerifyExitCodes.error;
        return;
      }
      const report = await verifyTensorRt({
        images: chosen,
        ...(flags.model ? { model: flags.model } : {}),
        ...(flags.cacheDir ? { cacheDir: flags.cacheDir } : {}),
      });
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatVerifyReport(report));
      process.exitCode = VerifyExitCodes[report.status];
    });
}
