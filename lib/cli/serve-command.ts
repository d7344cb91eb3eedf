/** `retinaface serve`: the HTTP server, with graceful shutdown on SIGTERM / SIGINT. */
import { type Command, Option } from 'commander';
import { Detector } from '../detector';
import type { DetectorOptions, InputSize } from '../options';
import { createServer } from '../server/app';
import { parseBytes, parseInteger, parseInputSize, parseNumber } from './parse';

interface ServeFlags {
  port: number;
  host: string;
  model?: string;
  backend: DetectorOptions['backend'];
  inputSize?: InputSize;
  score: number;
  nms: number;
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  bodyLimit: number;
  maxPixels: number;
  log?: boolean;
}

async function serve(flags: ServeFlags): Promise<void> {
  const detector = await Detector.create({
    model: flags.model,
    backend: flags.backend,
    scoreThreshold: flags.score,
    nmsThreshold: flags.nms,
    maxBatch: flags.maxBatch,
    maxDelayMs: flags.maxDelayMs,
    maxQueue: flags.maxQueue,
    maxPixels: flags.maxPixels,
    ...(flags.inputSize !== undefined ? { inputSize: flags.inputSize } : {}),
  });
  const app = await createServer({ detector, bodyLimit: flags.bodyLimit, logger: flags.log ?? false });
  const address = await app.listen({ port: flags.port, host: flags.host });
  console.error(`retinaface: listening on ${address} (backend ${detector.backendInfo.name}; ${detector.backendInfo.reason})`);

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    console.error(`retinaface: ${signal}: finishing requests in flight`);
    await app.close(); // stops accepting, waits for requests in flight
    await detector.close();
    console.error('retinaface: stopped');
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.once(signal, () => void stop(signal));
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve POST /detect, GET /healthz and GET /metrics over HTTP')
    .option('-p, --port <port>', 'TCP port', parseInteger, 8080)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .option('-m, --model <path>', 'RetinaFace ONNX model (default: $RETINAFACE_MODEL)')
    .addOption(new Option('--backend <name>', 'inference backend').choices(['auto', 'cpu', 'tensorrt']).default('auto'))
    .option('--input-size <size>', "network input: 640, WIDTHxHEIGHT or 'original'", parseInputSize)
    .option('-s, --score <threshold>', 'minimum face score', parseNumber, 0.5)
    .option('--nms <iou>', 'NMS IoU threshold', parseNumber, 0.4)
    .option('--max-batch <n>', 'images per inference', parseInteger, 8)
    .option('--max-delay-ms <ms>', 'longest wait to fill a batch', parseNumber, 2)
    .option('--max-queue <n>', 'waiting requests before 503', parseInteger, 256)
    .option('--body-limit <size>', 'largest request body (413 beyond)', parseBytes, 20 * 1024 * 1024)
    .option('--max-pixels <n>', 'largest image in pixels (400 beyond)', parseInteger, 100_000_000)
    .option('--log', 'log every request (fastify logger)')
    .action(serve);
}
