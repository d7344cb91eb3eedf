/**
 * `retinaface serve`: the HTTP server, with graceful shutdown on SIGTERM / SIGINT that ends by a deadline (a
 * stalled upload cannot keep the process alive), and request timeouts.
 */
import type { Command } from 'commander';
import sharp from 'sharp';
import { Detector } from '../detector';
import { RetinaFaceError } from '../errors';
import { closeWithDeadline, createServer } from '../server/app';
import {
  backendOption,
  type DetectorFlags,
  detectorOptions,
  inputSizeOption,
  modelOption,
  nmsOption,
  scoreOption,
} from './detector-flags';
import { parseBytes, parseInteger, parseNumber } from './parse';

interface ServeFlags extends DetectorFlags {
  port: number;
  host: string;
  maxBatch: number;
  maxDelayMs: number;
  maxQueue: number;
  bodyLimit: number;
  maxPixels: number;
  maxInflightPixels?: number;
  maxOriginalPixels?: number;
  requestTimeout: string;
  headersTimeout: string;
  keepAliveTimeout: string;
  drainTimeout: string;
  log?: boolean;
  sharpCache?: boolean;
}

/** After the drain deadline, how long closing the detector may take before the process gives up and exits 1. */
const EXIT_GRACE_MS = 10_000;

function invalid(message: string): never {
  throw new RetinaFaceError('INVALID_ARGUMENT', message);
}

/** "30s", "500ms", "2m" or a plain number of seconds -> milliseconds (>= 0). */
function durationMs(flag: string, value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/i.exec(value.trim());
  if (!m) invalid(`${flag} must be a duration like 30s, 500ms or 2m (got ${JSON.stringify(value)})`);
  const unit = (m[2] ?? 's').toLowerCase();
  return Math.round(Number(m[1]) * (unit === 'ms' ? 1 : unit === 'm' ? 60_000 : 1000));
}

/** Flags that commander parsed but whose range only the command knows; checked before the model loads. */
function checkFlags(flags: ServeFlags) {
  if (!Number.isInteger(flags.port) || flags.port < 0 || flags.port > 65535) {
    invalid(`--port must be an integer from 0 to 65535 (got ${flags.port})`);
  }
  if (!(flags.bodyLimit >= 1)) invalid(`--body-limit must be at least 1 byte (got ${flags.bodyLimit})`);
  return {
    requestTimeout: durationMs('--request-timeout', flags.requestTimeout),
    headersTimeout: durationMs('--headers-timeout', flags.headersTimeout),
    keepAliveTimeout: durationMs('--keep-alive-timeout', flags.keepAliveTimeout),
    drainTimeout: durationMs('--drain-timeout', flags.drainTimeout),
  };
}

const LISTEN_FAILURES: Record<string, string> = {
  EADDRINUSE: 'the address is already in use',
  EACCES: 'permission denied (ports below 1024 need privileges)',
  EADDRNOTAVAIL: 'no such address on this machine',
  ENOTFOUND: 'unknown host',
};

async function serve(flags: ServeFlags): Promise<void> {
  const timeouts = checkFlags(flags);
  // libvips' operation cache is keyed by input and uploads never repeat: it can only hold memory (docs/serving.md,
  // Memory). This process is ours: turn it off.
  if (!flags.sharpCache) sharp.cache(false);
  const detector = await Detector.create({
    ...detectorOptions(flags),
    maxBatch: flags.maxBatch,
    maxDelayMs: flags.maxDelayMs,
    maxQueue: flags.maxQueue,
    ...(flags.maxInflightPixels !== undefined ? { maxInflightPixels: flags.maxInflightPixels } : {}),
    ...(flags.maxOriginalPixels !== undefined ? { maxOriginalPixels: flags.maxOriginalPixels } : {}),
  });
  const app = await createServer({
    detector,
    bodyLimit: flags.bodyLimit,
    logger: flags.log ?? false,
    requestTimeout: timeouts.requestTimeout,
    headersTimeout: timeouts.headersTimeout,
    keepAliveTimeout: timeouts.keepAliveTimeout,
  });
  let address: string;
  try {
    address = await app.listen({ port: flags.port, host: flags.host });
  } catch (error) {
    await app.close();
    await detector.close();
    const code = (error as { code?: string }).code ?? '';
    const why = LISTEN_FAILURES[code] ?? (error as Error).message;
    throw new Error(`cannot listen on ${flags.host}:${flags.port}: ${why}${code ? ` (${code})` : ''}`, {
      cause: error,
    });
  }
  console.error(
    `retinaface: listening on ${address} (backend ${detector.backendInfo.name}; ${detector.backendInfo.reason})`,
  );

  let stopping = false;
  const stop = async (signal: string) => {
    if (stopping) {
      // A second signal: do not wait for the deadline.
      console.error(`retinaface: ${signal} again: closing every connection now`);
      app.server.closeAllConnections();
      return;
    }
    stopping = true;
    console.error(
      `retinaface: ${signal}: finishing requests in flight (drain deadline ${timeouts.drainTimeout / 1000} s)`,
    );
    // Last resort should closing the detector itself never end.
    setTimeout(() => {
      console.error('retinaface: shutdown did not finish in time; exiting');
      process.exit(1);
    }, timeouts.drainTimeout + EXIT_GRACE_MS).unref();
    const { forced } = await closeWithDeadline(app, detector, timeouts.drainTimeout);
    if (forced) console.error('retinaface: drain deadline passed: closed the connections still open');
    console.error('retinaface: stopped');
  };
  for (const signal of ['SIGTERM', 'SIGINT'] as const) process.on(signal, () => void stop(signal));
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description('serve POST /detect, GET /healthz, GET /readyz and GET /metrics over HTTP')
    .option('-p, --port <port>', 'TCP port (0 = any free one)', parseInteger, 8080)
    .option('--host <address>', 'address to bind', '127.0.0.1')
    .addOption(modelOption())
    .addOption(backendOption())
    .addOption(inputSizeOption())
    .addOption(scoreOption())
    .addOption(nmsOption())
    .option('--max-batch <n>', 'images per inference', parseInteger, 8)
    .option('--max-delay-ms <ms>', 'longest wait to fill a batch', parseNumber, 2)
    .option('--max-queue <n>', 'waiting requests before 503', parseInteger, 256)
    .option('--body-limit <size>', 'largest request body (413 beyond)', parseBytes, 20 * 1024 * 1024)
    .option('--max-pixels <n>', 'largest image in pixels (400 beyond)', parseInteger, 100_000_000)
    .option(
      '--max-inflight-pixels <n>',
      'decoded pixels all requests may hold at once; beyond, they wait (counted in --max-queue, then 503)',
      parseInteger,
    )
    .option(
      '--max-original-pixels <n>',
      'with --input-size original: largest image run at its own size (400 beyond)',
      parseInteger,
    )
    .option('--request-timeout <duration>', 'time to receive a whole request, then 408 (0 = none)', '30s')
    .option('--headers-timeout <duration>', 'time to receive the request headers', '10s')
    .option('--keep-alive-timeout <duration>', 'how long an idle keep-alive connection stays open', '72s')
    .option(
      '--drain-timeout <duration>',
      'on SIGTERM, how long requests in flight may finish before connections are closed',
      '10s',
    )
    .option('--log', 'log every request (fastify logger)')
    .option('--sharp-cache', "keep libvips' operation cache on (off by default: uploads never hit it)")
    .action(serve);
}
