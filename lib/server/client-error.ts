/**
 * Answers the errors Node's HTTP parser raises before a request reaches fastify (malformed request line, headers
 * over the size limit, a request that did not arrive within requestTimeout) with the same JSON body as every other
 * error, then closes the connection: the parser cannot continue on it.
 */
import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import { errorBody } from './http-error';

interface ParserError extends Error {
  code?: string;
}

function classify(error: ParserError): [status: number, code: string, message: string] {
  switch (error.code) {
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return [408, 'REQUEST_TIMEOUT', 'the request was not received in time'];
    case 'HPE_HEADER_OVERFLOW':
      return [431, 'HEADERS_TOO_LARGE', 'the request headers are too large'];
    default:
      return [400, 'BAD_REQUEST', `malformed HTTP request${error.code ? ` (${error.code})` : ''}`];
  }
}

export function answerClientError(error: ParserError, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) return;
  // A response already under way on this socket cannot be followed by another one (as Node's own handler does).
  const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && !response?.headersSent) {
    const [status, code, message] = classify(error);
    const body = JSON.stringify(errorBody(code, message));
    socket.end(
      `HTTP/1.1 ${status} ${STATUS_CODES[status]}\r\nContent-Type: application/json; charset=utf-8\r\n` +
        `Content-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`,
    );
    // end() flushes the answer; a client that never reads it must not keep the socket.
    setTimeout(() => socket.destroy(), 1000).unref();
  } else {
    socket.destroy();
  }
}
