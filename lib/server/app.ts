/**
 * HTTP front of a Detector on fastify: POST /detect (raw image body or multipart), GET /healthz, GET /metrics.
 * `retinafaceRoutes` mounts into the user's own fastify app; `createServer` builds a standalone one.
 */
import multipart from '@fastify/multipart';
import Fastify, { type FastifyError, type FastifyInstance, type FastifyPluginAsync, type FastifyReply } from 'fastify';
import type { Detector } from '../detector';
import { type ErrorCode, isRetinaFaceError } from '../errors';
import { createMetrics } from './metrics';

export interface RetinafaceRoutesOptions {
  detector: Detector;
  /** Largest request body in bytes (413 beyond). Default 20 MiB. */
  bodyLimit?: number;
  /** Seconds suggested to clients refused with 503. Default 1. */
  retryAfterSeconds?: number;
}

export interface ServerOptions extends RetinafaceRoutesOptions {
  /** fastify's logger option. Default false. */
  logger?: boolean;
}

const DEFAULT_BODY_LIMIT = 20 * 1024 * 1024;

/** HTTP status for each error code; anything unlisted is a 500. */
const STATUS_BY_CODE: Partial<Record<ErrorCode, number>> = {
  INVALID_ARGUMENT: 400,
  IMAGE_EMPTY: 400,
  IMAGE_DECODE_FAILED: 400,
  IMAGE_TOO_SMALL: 400,
  IMAGE_TOO_LARGE: 400,
  QUEUE_FULL: 503,
  DETECTOR_CLOSED: 503,
  ABORTED: 499,
};

function sendError(reply: FastifyReply, status: number, code: string, message: string, retryAfter: number): FastifyReply {
  if (status === 503) void reply.header('retry-after', String(retryAfter));
  return reply.code(status).send({ error: { code, message } });
}

export const retinafaceRoutes: FastifyPluginAsync<RetinafaceRoutesOptions> = async (app, options) => {
  const { detector } = options;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const metrics = createMetrics(detector);
  app.addHook('onClose', async () => metrics.detach());

  await app.register(multipart, { limits: { fileSize: bodyLimit, files: 1, fields: 10 } });
  for (const type of ['application/octet-stream', /^image\//]) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  }

  app.addHook('onResponse', async (request, reply) => {
    metrics.requestSeconds.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: FastifyError, _request, reply) => {
    if (isRetinaFaceError(error)) {
      metrics.errors.inc({ code: error.code });
      return sendError(reply, STATUS_BY_CODE[error.code] ?? 500, error.code, error.message, retryAfter);
    }
    const status = error.statusCode ?? 500;
    const code = status === 413 ? 'BODY_TOO_LARGE' : status === 415 ? 'UNSUPPORTED_MEDIA_TYPE' : status < 500 ? 'BAD_REQUEST' : 'INTERNAL';
    metrics.errors.inc({ code });
    return sendError(reply, status, code, status < 500 ? error.message : 'internal error', retryAfter);
  });

  app.post('/detect', { bodyLimit }, async (request) => {
    let image: Buffer;
    if (request.isMultipart()) {
      const file = await request.file();
      if (!file) throw Object.assign(new Error('multipart request without a file part'), { statusCode: 400 });
      image = await file.toBuffer(); // 413 when over the limit
    } else if (Buffer.isBuffer(request.body)) {
      image = request.body;
    } else {
      throw Object.assign(new Error('send the image as the body (image/* or application/octet-stream) or as multipart'), {
        statusCode: 415,
      });
    }
    const abort = new AbortController();
    request.raw.once('close', () => {
      if (request.raw.destroyed && !request.raw.complete) abort.abort(new Error('client went away'));
    });
    const { faces, timings } = await detector.detectWithTimings(image, { signal: abort.signal });
    return { faces, timings };
  });

  app.get('/healthz', async (_request, reply) => {
    if (detector.isClosed) return sendError(reply, 503, 'DETECTOR_CLOSED', 'shutting down', retryAfter);
    const stats = detector.stats();
    return { status: 'ok', backend: detector.backendInfo, queueDepth: stats.queueDepth, completed: stats.completed };
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};

/** A standalone fastify app serving one detector (not yet listening). */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const app = Fastify({ logger: options.logger ?? false, bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT });
  await app.register(retinafaceRoutes, options);
  return app;
}
