/**
 * Graceful shutdown with a deadline: stop accepting, let requests in flight finish for up to `drainTimeoutMs`,
 * then close every connection still open (a stalled upload, a client that never reads) so that shutdown always
 * ends. Closing a connection aborts its detection (the route listens for it), then the detector is closed.
 */
import type { FastifyInstance } from 'fastify';
import type { Detector } from '../detector';

export interface ShutdownResult {
  /** True when the deadline passed and open connections were closed. */
  forced: boolean;
}

export async function closeWithDeadline(
  app: FastifyInstance,
  detector: Detector | undefined,
  drainTimeoutMs: number,
): Promise<ShutdownResult> {
  const result: ShutdownResult = { forced: false };
  const deadline = setTimeout(() => {
    result.forced = true;
    app.server.closeAllConnections();
  }, drainTimeoutMs);
  try {
    await app.close();
  } finally {
    clearTimeout(deadline);
  }
  await detector?.close();
  return result;
}
