/** `retinaface verify [images...]`: TensorRT against the CPU backend on this machine, one table (or JSON). */
import { type Command, InvalidArgumentError } from 'commander';
import { probeTensorRt } from '../backends/tensorrt';
import { formatVerifyReport, packagedSamples, VerifyExitCodes, verifyTensorRt } from '../verify';

interface VerifyFlags {
  json?: boolean;
  model?: string;
  cacheDir?: string;
  batches: number[];
}

function parseBatches(text: string): number[] {
  const sizes = text.split(',').map((part) => Number(part.trim()));
  if (sizes.length === 0 || sizes.some((n) => !Number.isInteger(n) || n < 1 || n > 256)) {
    throw new InvalidArgumentError('a comma-separated list of batch sizes in 1..256, e.g. 1,8,32');
  }
  return sizes;
}

export function registerVerifyCommand(program: Command): void {
  program
    .command('verify')
    .description(
      'build/load the TensorRT engines and compare their faces with the CPU backend (exit 0 ok, 1 mismatch, 2 error, 3 TensorRT unavailable)',
    )
    .argument('[images...]', "photos to compare (default: the package's sample photos)")
    .option('--json', 'print the report as JSON (attach it to a bug report)')
    .option('-m, --model <path>', 'RetinaFace ONNX model (default: $RETINAFACE_MODEL)')
    .option('--cache-dir <dir>', 'engine cache folder')
    .option('--batches <sizes>', 'batch sizes to time, comma-separated', parseBatches, [1, 8, 32])
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
        batchSizes: flags.batches,
      });
      console.log(flags.json ? JSON.stringify(report, null, 2) : formatVerifyReport(report));
      process.exitCode = VerifyExitCodes[report.status];
    });
}
