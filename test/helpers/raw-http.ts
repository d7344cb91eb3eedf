/**
 * A raw HTTP/1.1 client over one TCP socket (node:net), for what fetch cannot do: stall a chunked body, send
 * malformed requests, and send the next request on the same keep-alive connection. Loopback only.
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: string;
  json(): { error?: { code?: string; message?: string } } & Record<string, unknown>;
}

export class RawConnection {
  private buffered = Buffer.alloc(0);
  private waiters: (() => void)[] = [];
  private ended = false;
  /** Resolves when the server (or we) closed the socket. */
  readonly closed: Promise<void>;

  private constructor(readonly socket: net.Socket) {
    socket.on('data', (chunk: Buffer) => {
      this.buffered = Buffer.concat([this.buffered, chunk]);
      this.wake();
    });
    socket.on('error', () => {}); // a reset shows up as `closed`
    this.closed = new Promise((resolve) =>
      socket.once('close', () => {
        this.ended = true;
        this.wake();
        resolve();
      }),
    );
  }

  static open(port: number): Promise<RawConnection> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(port, '127.0.0.1', () => resolve(new RawConnection(socket)));
      socket.once('error', reject);
    });
  }

  write(data: string | Buffer): Promise<void> {
    return new Promise((resolve, reject) => this.socket.write(data, (error) => (error ? reject(error) : resolve())));
  }

  destroy(): void {
    this.socket.destroy();
  }

  /** The next complete response on this connection; rejects after `deadlineMs` or when the socket closes first. */
  async readResponse(deadlineMs: number): Promise<RawResponse> {
    const deadline = Date.now() + deadlineMs;
    for (;;) {
      const response = this.takeResponse();
      if (response) return response;
      if (this.ended) throw new Error(`connection closed before a full response (had ${this.buffered.length} bytes)`);
      const left = deadline - Date.now();
      if (left <= 0) throw new Error(`no response within ${deadlineMs} ms`);
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, left);
        this.waiters.push(() => {
          clearTimeout(timer);
          resolve();
        });
      });
    }
  }

  private wake(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const wake of waiters) wake();
  }

  /** Parses one response off the front of the buffer, if it is all there. */
  private takeResponse(): RawResponse | undefined {
    const headEnd = this.buffered.indexOf('\r\n\r\n');
    if (headEnd < 0) return undefined;
    const [statusLine, ...lines] = this.buffered.subarray(0, headEnd).toString('latin1').split('\r\n');
    const status = Number(/^HTTP\/1\.[01] (\d{3})/.exec(statusLine!)?.[1]);
    const headers: Record<string, string> = {};
    for (const line of lines) {
      const colon = line.indexOf(':');
      headers[line.slice(0, colon).trim().toLowerCase()] = line.slice(colon + 1).trim();
    }
    let rest = this.buffered.subarray(headEnd + 4);
    let body: Buffer;
    if (headers['transfer-encoding']?.includes('chunked')) {
      const chunks: Buffer[] = [];
      for (;;) {
        const lineEnd = rest.indexOf('\r\n');
        if (lineEnd < 0) return undefined;
        const size = parseInt(rest.subarray(0, lineEnd).toString('latin1'), 16);
        if (rest.length < lineEnd + 2 + size + 2) return undefined;
        chunks.push(rest.subarray(lineEnd + 2, lineEnd + 2 + size));
        rest = rest.subarray(lineEnd + 2 + size + 2);
        if (size === 0) break;
      }
      body = Buffer.concat(chunks);
    } else if (headers['content-length'] !== undefined) {
      const length = Number(headers['content-length']);
      if (rest.length < length) return undefined;
      body = rest.subarray(0, length);
      rest = rest.subarray(length);
    } else {
      if (!this.ended) return undefined; // the body runs to the end of the connection
      body = rest;
      rest = Buffer.alloc(0);
    }
    this.buffered = rest;
    const text = body.toString('utf8');
    return { status, headers, body: text, json: () => JSON.parse(text) as ReturnType<RawResponse['json']> };
  }
}

/** The head of a request (through the blank line). */
export function requestHead(method: string, url: string, headers: Record<string, string | number> = {}): string {
  const lines = [
    `${method} ${url} HTTP/1.1`,
    'Host: 127.0.0.1',
    ...Object.entries(headers).map(([k, v]) => `${k}: ${v}`),
  ];
  return lines.join('\r\n') + '\r\n\r\n';
}

/** A complete request with a Content-Length body. */
export function request(
  method: string,
  url: string,
  body: Buffer | string = '',
  headers: Record<string, string | number> = {},
): Buffer {
  const payload = Buffer.isBuffer(body) ? body : Buffer.from(body, 'latin1');
  const head =
    method === 'GET' && payload.length === 0
      ? requestHead(method, url, headers)
      : requestHead(method, url, { ...headers, 'Content-Length': payload.length });
  return Buffer.concat([Buffer.from(head, 'latin1'), payload]);
}

/** A multipart/form-data body from raw parts (each: its headers, a blank line, its data). */
export function multipartBody(parts: string[], boundary: string, { closing = true } = {}): string {
  return parts.map((part) => `--${boundary}\r\n${part}\r\n`).join('') + (closing ? `--${boundary}--\r\n` : '');
}

export function filePart(name: string, data: string | Buffer, type = 'image/jpeg'): string {
  const text = Buffer.isBuffer(data) ? data.toString('latin1') : data;
  return `Content-Disposition: form-data; name="${name}"; filename="${name}.jpg"\r\nContent-Type: ${type}\r\n\r\n${text}`;
}

export function fieldPart(name: string, value: string): string {
  return `Content-Disposition: form-data; name="${name}"\r\n\r\n${value}`;
}
