/**
 * After an answer sent before the request body was read to its end (a multipart error, an undecodable first file),
 * the unread rest would stay in the paused request stream and the keep-alive connection would answer nothing
 * more until it timed out. Read the rest and throw it away, so the next request on the socket is served; a client
 * that keeps sending beyond `limit` bytes loses its connection instead.
 */
import type { IncomingMessage } from 'node:http';

export function discardUnreadBody(request: IncomingMessage, limit: number): void {
  if (request.readableEnded || request.destroyed) return;
  request.unpipe(); // whatever parser was reading it has given up
  let discarded = 0;
  request.on('data', (chunk: Buffer) => {
    discarded += chunk.length;
    if (discarded > limit) request.socket?.destroy?.(); // (light-my-request's fake socket has none)
  });
  request.on('error', () => {}); // a reset while discarding is no concern of the answered request
  request.resume();
}
