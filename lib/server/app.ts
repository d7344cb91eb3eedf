/**
 * HTTP front of a Detector on fastify: POST /detect (raw image body or multipart), GET /healthz (alive), GET /readyz
 * (ready for traffic: model loaded, engine built, not draining), GET /metrics.
 * `retinafaceRoutes` mounts into the user's own fastify app; `createServer` builds a standalone one.
 * Every error answer is `{ error: { code, message } }`, whatever raised it.
 */
import multipart from '@fastify/multipart';
import Fastify, {
  type FastifyError,
  type FastifyInstance,
  type FastifyPluginAsync,
  type FastifyReply,
  type FastifyRequest,
} from 'fastify';
import type { Detector } from '../detector';
import { type ErrorCode, isRetinaFaceError, RetinaFaceError } from '../errors';
import { discardUnreadBody } from './body-drain';
import { answerClientError } from './client-error';
import { errorBody, HttpError } from './http-error';
import { createMetrics } from './metrics';
import { parseQueryOptions } from './query-options';

export { closeWithDeadline, type ShutdownResult } from './shutdown';
export { HttpError } from './http-error';

export interface RetinafaceRoutesOptions {
  detector: Detector;
  /** Largest request body in bytes (413 beyond). Default 20 MiB. */
  bodyLimit?: number;
  /** Seconds suggested to clients refused with 503. Default 1. */
  retryAfterSeconds?: number;
  /**
   * Milliseconds from a request's arrival until its body must be complete; a slower (or stalled) upload is answered
   * 408 REQUEST_TIMEOUT and its connection closed. Default 30 000 when mounted in your own app; 0 turns it off.
   * `createServer` leaves this to the HTTP server's `requestTimeout` instead.
   */
  bodyTimeout?: number;
}

export interface ServerOptions extends RetinafaceRoutesOptions {
  /** fastify's logger option. Default false. */
  logger?: boolean;
  /**
   * Milliseconds to receive a whole request, headers and body (Node's `server.requestTimeout`): past it the client
   * gets 408 REQUEST_TIMEOUT and the connection is closed. Default 30 000; 0 = no limit.
   */
  requestTimeout?: number;
  /** Milliseconds to receive the request headers (Node's `server.headersTimeout`). Default 10 000, at most requestTimeout. */
  headersTimeout?: number;
  /** Milliseconds an idle keep-alive connection stays open. Default 72 000 (fastify's: above common load balancers' 60 s). */
  keepAliveTimeout?: number;
}

const DEFAULT_BODY_LIMIT = 20 * 1024 * 1024;
const DEFAULT_REQUEST_TIMEOUT_MS = 30_000;
const DEFAULT_HEADERS_TIMEOUT_MS = 10_000;
const DEFAULT_KEEP_ALIVE_TIMEOUT_MS = 72_000;

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

function sendError(
  reply: FastifyReply,
  status: number,
  code: string,
  message: string,
  retryAfter: number,
): FastifyReply {
  if (status === 503) void reply.header('retry-after', String(retryAfter));
  return reply.code(status).send(errorBody(code, message));
}

/** Status, code and message for any error a request can end with. */
function describeError(error: FastifyError | Error): [status: number, code: string, message: string] {
  if (isRetinaFaceError(error)) return [STATUS_BY_CODE[error.code] ?? 500, error.code, error.message];
  if (error instanceof HttpError) return [error.statusCode, error.code, error.message];
  const status = (error as FastifyError).statusCode ?? 500;
  if (status === 413) return [413, 'BODY_TOO_LARGE', error.message];
  if (status === 415) return [415, 'UNSUPPORTED_MEDIA_TYPE', error.message];
  if (status < 500) return [status, 'BAD_REQUEST', error.message];
  return [500, 'INTERNAL', 'internal error'];
}

/**
 * Reads the one file part of a multipart body, and the rest of the body with it (so nothing is left unread on the
 * connection). Malformed multipart (no boundary, no closing boundary, too many fields, parts or files) is a 400
 * MULTIPART_INVALID; a file over the body limit a 413.
 */
async function readMultipartImage(request: FastifyRequest): Promise<Buffer> {
  let image: Buffer | undefined;
  try {
    for await (const part of request.parts()) {
      if (part.type !== 'file') continue;
      if (image) throw new HttpError(400, 'MULTIPART_INVALID', 'send exactly one file part');
      image = await part.toBuffer();
    }
  } catch (error) {
    if (isRetinaFaceError(error) || error instanceof HttpError) throw error;
    const code = (error as { code?: unknown }).code;
    if (code === 'FST_REQ_FILE_TOO_LARGE')
      throw new HttpError(413, 'BODY_TOO_LARGE', 'the file part is over the body limit', { cause: error });
    const message = code === 'FST_FILES_LIMIT' ? 'send exactly one file part' : (error as Error).message;
    throw new HttpError(400, 'MULTIPART_INVALID', `malformed multipart body: ${message}`, { cause: error });
  }
  if (!image) throw new HttpError(400, 'MULTIPART_INVALID', 'multipart request without a file part');
  return image;
}

export const retinafaceRoutes: FastifyPluginAsync<RetinafaceRoutesOptions> = async (app, options) => {
  const { detector } = options;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const retryAfter = options.retryAfterSeconds ?? 1;
  const bodyTimeout = options.bodyTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const metrics = createMetrics(detector);
  let closing = false;
  app.addHook('preClose', async () => {
    closing = true;
  });
  app.addHook('onClose', async () => metrics.detach());

  await app.register(multipart, { limits: { fileSize: bodyLimit, files: 1, fields: 10, parts: 20 } });
  for (const type of ['application/octet-stream', /^image\//]) {
    app.addContentTypeParser(type, { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));
  }

  // A request that arrives on an open keep-alive connection while the server shuts down (fastify's own 503 for
  // this is turned off by createServer, so that the body is ours).
  app.addHook('onRequest', async (_request, reply) => {
    if (!closing) return;
    void reply.header('connection', 'close');
    return sendError(reply, 503, 'SHUTTING_DOWN', 'the server is shutting down', retryAfter);
  });

  // Answers finished during shutdown close their connection: otherwise a keep-alive client would hold it open
  // (and shutdown with it) until keepAliveTimeout.
  app.addHook('onSend', async (_request, reply) => {
    if (closing) void reply.header('connection', 'close');
  });

  if (bodyTimeout > 0) {
    app.addHook('onRequest', async (request, reply) => {
      const timer = setTimeout(() => {
        if (request.raw.complete || reply.sent) return;
        void reply.header('connection', 'close');
        sendError(reply, 408, 'REQUEST_TIMEOUT', 'the request body was not received in time', retryAfter);
        reply.raw.once('finish', () => request.raw.socket?.destroy?.());
      }, bodyTimeout);
      reply.raw.once('close', () => clearTimeout(timer));
    });
  }

  app.addHook('onResponse', async (request, reply) => {
    discardUnreadBody(request.raw, bodyLimit);
    metrics.requestSeconds.observe(
      { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) },
      reply.elapsedTime / 1000,
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    // A body cut off because its connection closed (the client left, or a request timeout closed it) is no bad
    // request of the client's: count it apart, with nginx's 499, as the answer reaches no one anyway.
    const [status, code, message] =
      !isRetinaFaceError(error) && request.raw.socket?.destroyed
        ? [499, 'CONNECTION_CLOSED', 'the connection closed before the request was read']
        : describeError(error);
    metrics.errors.inc({ code });
    return sendError(reply, status, code, message, retryAfter);
  });

  app.post('/detect', { bodyLimit }, async (request, reply) => {
    metrics.detectInFlight.inc();
    reply.raw.once('close', () => metrics.detectInFlight.dec());
    // A client that goes away before its answer (during the upload or after it) cancels its detection.
    const abort = new AbortController();
    reply.raw.once('close', () => {
      if (!reply.raw.writableFinished) abort.abort(new RetinaFaceError('ABORTED', 'the client went away'));
    });
    const query = parseQueryOptions(request.query);
    let image: Buffer;
    if (request.isMultipart()) {
      image = await readMultipartImage(request);
    } else if (Buffer.isBuffer(request.body)) {
      image = request.body;
    } else {
      throw new HttpError(
        415,
        'UNSUPPORTED_MEDIA_TYPE',
        'send the image as the body (image/* or application/octet-stream) or as multipart',
      );
    }
    // The detector checks scoreThreshold / maxFaces against its own settings (INVALID_ARGUMENT -> 400).
    return detector.detectWithTimings(image, { signal: abort.signal, ...query });
  });

  app.get('/healthz', async (_request, reply) => {
    if (detector.isClosed) return sendError(reply, 503, 'DETECTOR_CLOSED', 'shutting down', retryAfter);
    const stats = detector.stats();
    return { status: 'ok', backend: detector.backendInfo, queueDepth: stats.queueDepth, completed: stats.completed };
  });

  // Readiness, for load balancers and Kubernetes readinessProbe: a Detector exists only once its model is loaded and
  // its engine built, so ready means "not draining". While the server shuts down the onRequest hook above answers
  // 503 SHUTTING_DOWN before this route is reached; a detector closed under a mounted app gives 503 NOT_READY.
  app.get('/readyz', async (_request, reply) => {
    if (closing || detector.isClosed) return sendError(reply, 503, 'NOT_READY', 'the detector is closed', retryAfter);
    return { status: 'ready', backend: detector.backendInfo.name, model: detector.modelPath };
  });

  app.get('/metrics', async (_request, reply) => {
    void reply.header('content-type', metrics.registry.contentType);
    return metrics.registry.metrics();
  });
};

/** A standalone fastify app serving one detector (not yet listening). */
export async function createServer(options: ServerOptions): Promise<FastifyInstance> {
  const requestTimeout = options.requestTimeout ?? DEFAULT_REQUEST_TIMEOUT_MS;
  const headersTimeout = Math.min(options.headersTimeout ?? DEFAULT_HEADERS_TIMEOUT_MS, requestTimeout || Infinity);
  const app = Fastify({
    logger: options.logger ?? false,
    bodyLimit: options.bodyLimit ?? DEFAULT_BODY_LIMIT,
    requestTimeout,
    keepAliveTimeout: options.keepAliveTimeout ?? DEFAULT_KEEP_ALIVE_TIMEOUT_MS,
    // Node checks request and header deadlines every connectionsCheckingInterval (30 s by default): check each
    // second so that a timeout fires close to when it is due.
    http: { headersTimeout, connectionsCheckingInterval: 1000 },
    return503OnClosing: false,
    clientErrorHandler: answerClientError,
    frameworkErrors: (error, _request, reply) => {
      void (reply as FastifyReply).code(400).send(errorBody('BAD_REQUEST', error.message));
    },
  });
  app.setNotFoundHandler((request, reply) => {
    void reply.code(404).send(errorBody('NOT_FOUND', `no route ${request.method} ${request.url.split('?')[0]}`));
  });
  await app.register(retinafaceRoutes, { ...options, bodyTimeout: options.bodyTimeout ?? 0 });
  return app;
}
