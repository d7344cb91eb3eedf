#!/usr/bin/env node
/** `retinaface` command line: a thin shell over the library. */
import { Command, Option } from 'commander';
import { Detector } from '../detector';
import { isRetinaFaceError } from '../errors';
import type { Face } from '../faces';
import type { DetectorOptions, FailOn } from '../options';
import { parseInteger, parseNumber } from './parse';
import { detectWithOutputs, type DetectOutputFlags } from './detect-outputs';
import {
  backendOption,
  type DetectorFlags,
  detectorOptions,
  inputSizeOption,
  modelOption,
  nmsOption,
  scoreOption,
} from './detector-flags';
import { registerDoctorCommand } from './doctor-command';
import { registerEvalCommand } from './eval-command';
import { registerModelCommands } from './models-command';
import { registerQuantizeCommand } from './quantize-command';
import { registerServeCommand } from './serve-command';
import { registerVerifyCommand } from './verify-command';
import { registerVideoCommand } from './video-command';

function formatFace(face: Face): string {
  const [x1, y1, x2, y2] = face.box.map((v) => v.toFixed(1));
  const marks = face.landmarks.map(([x, y]) => `(${x.toFixed(1)},${y.toFixed(1)})`).join(' ');
  return `  score ${face.score.toFixed(3)}  box [${x1}, ${y1}, ${x2}, ${y2}]  landmarks ${marks}`;
}

interface DetectFlags extends DetectOutputFlags, DetectorFlags {
  json?: boolean;
  failOn?: FailOn;
  precision?: DetectorOptions['precision'];
  decode?: DetectorOptions['decode'];
}

async function detectCommand(images: string[], flags: DetectFlags): Promise<number> {
  const detector = await Detector.create({
    ...detectorOptions(flags),
    ...(flags.failOn !== undefined ? { failOn: flags.failOn } : {}),
    ...(flags.precision !== undefined ? { precision: flags.precision } : {}),
    ...(flags.decode !== undefined ? { decode: flags.decode } : {}),
  });
  let failures = 0;
  const report: Record<string, Face[] | { error: { code: string; message: string } }> = {};
  try {
    if (!flags.json) {
      console.error(
        `backend: ${detector.backendInfo.name} (${detector.backendInfo.reason}); model: ${detector.modelPath}`,
      );
    }
    for (const image of images) {
      try {
        const faces =
          flags.annotate !== undefined || flags.crops !== undefined
            ? await detectWithOutputs(detector, image, flags, images.length > 1)
            : await detector.detect(image);
        report[image] = faces;
        if (!flags.json) {
          console.log(`${image}: ${faces.length} face${faces.length === 1 ? '' : 's'}`);
          for (const face of faces) console.log(formatFace(face));
        }
      } catch (error) {
        if (!isRetinaFaceError(error)) throw error;
        failures++;
        report[image] = { error: { code: error.code, message: error.message } };
        if (!flags.json) console.error(`${image}: error ${error.code}: ${error.message}`);
      }
    }
  } finally {
    await detector.close();
  }
  if (flags.json) console.log(JSON.stringify({ backend: detector.backendInfo, images: report }, null, 2));
  return failures === 0 ? 0 : 1;
}

export function buildProgram(): Command {
  const program = new Command('retinaface')
    .description('RetinaFace face detection: boxes, scores and 5 landmarks per face')
    .addHelpText(
      'after',
      '\nEnvironment: RETINAFACE_MODEL (default model), RETINAFACE_DEBUG=1 (stack traces of unexpected errors)',
    )
    .showHelpAfterError();
  program
    .command('detect')
    .description('detect faces in image files and print them')
    .argument('<images...>', 'image files (JPEG, PNG, WebP, AVIF, TIFF, GIF)')
    .option('--json', 'print JSON instead of text')
    .addOption(modelOption())
    .addOption(scoreOption())
    .addOption(nmsOption())
    .addOption(inputSizeOption())
    .option('--max-pixels <n>', 'largest image in pixels (IMAGE_TOO_LARGE beyond; default 100000000)', parseInteger)
    .addOption(
      new Option(
        '--fail-on <level>',
        "decoder damage that fails an image (IMAGE_DECODE_FAILED); 'warning' also refuses corrupt data (default: truncated)",
      )
        .choices(['none', 'truncated', 'error', 'warning'])
        .default(undefined, 'truncated'),
    )
    .addOption(backendOption())
    .option(
      '--annotate <file>',
      'write the image with boxes, landmarks and scores (.jpg, .png, .webp; with several images: file-<image>.jpg)',
    )
    .option('--crops <dir>', 'write each face aligned to the ArcFace template: <image>_<i>.png + <image>_<i>.json')
    .option('--crop-size <pixels>', 'side of the aligned crops (16..1024)', parseNumber, 112)
    .addOption(
      new Option(
        '--precision <p>',
        "TensorRT fp16/fp32; 'int8': the model's *.int8.onnx (retinaface quantize)",
      ).choices(['fp16', 'fp32', 'int8']),
    )
    .addOption(
      new Option('--decode <mode>', "'fast': large JPEGs decoded at 1/2, 1/4, 1/8 (default: exact)").choices([
        'exact',
        'fast',
      ]),
    )
    .action(async (images: string[], flags: DetectFlags) => {
      process.exitCode = await detectCommand(images, flags);
    });
  registerServeCommand(program);
  registerModelCommands(program);
  registerQuantizeCommand(program);
  registerEvalCommand(program);
  registerDoctorCommand(program);
  registerVerifyCommand(program);
  registerVideoCommand(program);
  return program;
}

/**
 * The last stop for an error: one line on stderr, never a stack trace, unless RETINAFACE_DEBUG=1 asks for one.
 * Our typed errors print their code; anything else (a file system error, a bug) its message.
 */
export function reportFatalError(error: unknown, env: NodeJS.ProcessEnv = process.env): string {
  const debug = env.RETINAFACE_DEBUG !== undefined && env.RETINAFACE_DEBUG !== '' && env.RETINAFACE_DEBUG !== '0';
  const message = error instanceof Error ? error.message : String(error);
  const line = isRetinaFaceError(error) ? `retinaface: ${error.code}: ${message}` : `retinaface: ${message}`;
  const stack = debug && error instanceof Error && error.stack ? `\n${error.stack}` : '';
  return `${line.replace(/\s*\n\s*/g, ' ')}${stack}`;
}

if (require.main === module) {
  // Errors that escape every promise chain (an event handler's) end the same way: one line, exit 2.
  for (const event of ['uncaughtException', 'unhandledRejection'] as const) {
    process.on(event, (error: unknown) => {
      console.error(reportFatalError(error));
      process.exit(2);
    });
  }
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: unknown) => {
      console.error(reportFatalError(error));
      process.exitCode = 2;
    });
}
