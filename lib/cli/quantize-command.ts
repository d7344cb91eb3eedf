/** `retinaface quantize`: float32 ONNX + a folder of calibration images -> INT8 QDQ ONNX (see docs/int8.md). */
import { type Command, Option } from 'commander';
import { CALIBRATION_METHODS, type CalibrationMethod } from '../models/onnx/quantize/calibrate';
import {
  DEFAULT_CALIBRATION_IMAGES,
  DEFAULT_KEEP_FLOAT,
  quantizeModelFile,
} from '../models/onnx/quantize/quantize-model';
import { parseInteger } from './parse';

interface QuantizeFlags {
  calibrate: string;
  method: CalibrationMethod;
  images: number;
  inputSize: number;
  floatBias?: boolean;
  keepFloat: number;
  activations: 'uint8' | 'int8';
  output: string;
}

export function registerQuantizeCommand(program: Command): void {
  program
    .command('quantize')
    .description('INT8 QDQ model from a float32 RetinaFace ONNX, calibrated on real images (for precision: int8)')
    .argument('<model>', 'float32 RetinaFace ONNX (opset 13 or later, e.g. from `retinaface convert`)')
    .requiredOption('--calibrate <folder>', 'folder of calibration images (searched recursively)')
    .addOption(
      new Option('--method <name>', 'activation range from calibration')
        .choices([...CALIBRATION_METHODS])
        .default('percentile'),
    )
    .option(
      '--images <n>',
      'calibration images to use, spread evenly over the folder',
      parseInteger,
      DEFAULT_CALIBRATION_IMAGES,
    )
    .option('--input-size <n>', 'square size the images are letterboxed to', parseInteger, 640)
    .option(
      '--keep-float <n>',
      'leading activations left float32 (the input and the first MobileNet-0.25 layers)',
      parseInteger,
      DEFAULT_KEEP_FLOAT,
    )
    .addOption(
      new Option('--activations <type>', 'uint8 (onnxruntime CPU) or int8 (symmetric; TensorRT, with --float-bias)')
        .choices(['uint8', 'int8'])
        .default('uint8'),
    )
    .option('--float-bias', 'keep Conv biases float32 (for TensorRT; onnxruntime CPU fuses only int32 biases)')
    .requiredOption('-o, --output <file>', 'where to write the INT8 ONNX (name it *.int8.onnx for precision: int8)')
    .action(async (model: string, flags: QuantizeFlags) => {
      const progress = process.stderr.isTTY
        ? (done: number, total: number) =>
            process.stderr.write(`\rcalibrating ${done}/${total}${done === total ? '\n' : ''}`)
        : undefined;
      const result = await quantizeModelFile(model, flags.output, {
        calibrate: flags.calibrate,
        method: flags.method,
        images: flags.images,
        inputSize: flags.inputSize,
        bias: flags.floatBias ? 'float' : 'int32',
        keepFloat: flags.keepFloat,
        activations: flags.activations,
        ...(progress ? { onProgress: progress } : {}),
      });
      console.error(
        `quantized ${model}: ${result.quantizedTensors} activations, ${result.method} ranges from ${result.images} images`,
      );
      console.log(flags.output);
    });
}
