/**
 * Hostile clients for the soak test, over raw sockets on loopback, beside the ordinary load: uploads that stall
 * (a chunked body that stops), clients that upload and hang up before their answer, and malformed multipart
 * requests on a keep-alive connection, each followed by a request on the same socket that must be answered.
 */
import {
  fieldPart,
  filePart,
  multipartBody,
  RawConnection,
  type RawResponse,
  request,
  requestHead,
} from '../../test/helpers/raw-http';

export interface HostileCounts {
  /** Stalled uploads opened, and how each ended: an answer's error code (408 REQUEST_TIMEOUT expected) or closed. */
  stalledOpened: number;
  stalledEndings: Record<string, number>;
  /** Full uploads whose client hung up before the answer. */
  disconnects: number;
  /** Malformed multipart requests on the keep-alive connection, by answer (status and code). */
  multipartAnswers: Record<string, number>;
  /** Requests sent on the same socket right after a failed multipart request: answered, and the slowest answer. */
  followUps: number;
  followUpsAnswered: number;
  followUpMaxMs: number;
  /** Anything a hostile client did not expect (a follow-up not answered, a socket error). */
  unexpected: string[];
}

const BOUNDARY = 'soakBoundary';
const multipart = (body: string) =>
  request('POST', '/detect', body, { 'Content-Type': `multipart/form-data; boundary=${BOUNDARY}` });

/** The malformed multipart bodies, in turn: each leaves part of its body unread when the server answers. */
function badMultiparts(): Buffer[] {
  return [
    multipart(
      multipartBody(
        [...Array.from({ length: 12 }, (_, i) => fieldPart(`f${i}`, 'v')), filePart('image', 'g'.repeat(200_000))],
        BOUNDARY,
      ),
    ),
    multipart(multipartBody([filePart('a', 'junk'), filePart('b', 'x'.repeat(200_000))], BOUNDARY)),
    multipart(multipartBody([fieldPart('big', 'y'.repeat(100_000))], BOUNDARY, { closing: false })),
    request('POST', '/detect', multipartBody([filePart('image', 'z')], BOUNDARY), {
      'Content-Type': 'multipart/form-data',
    }),
  ];
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** "408 REQUEST_TIMEOUT": an answer's status and error code (a body that is not JSON keeps its status alone). */
function describe(res: RawResponse): string {
  try {
    return `${res.status} ${res.json().error?.code ?? ''}`.trim();
  } catch {
    return `${res.status} (not JSON)`;
  }
}

export class HostileClients {
  readonly counts: HostileCounts = {
    stalledOpened: 0,
    stalledEndings: {},
    disconnects: 0,
    multipartAnswers: {},
    followUps: 0,
    followUpsAnswered: 0,
    followUpMaxMs: 0,
    unexpected: [],
  };
  private running = true;
  private readonly loops: Promise<void>[] = [];
  private readonly held = new Set<RawConnection>();

  constructor(
    private readonly port: number,
    private readonly jpeg: Buffer,
    options: { stalled: number; disconnectEveryMs: number },
  ) {
    for (let i = 0; i < options.stalled; i++) this.loops.push(this.stallLoop());
    this.loops.push(this.disconnectLoop(options.disconnectEveryMs));
    this.loops.push(this.multipartLoop());
  }

  /** Opens one stalled upload and leaves it: its ending is counted when the server answers or closes it. */
  async openStalled(): Promise<RawConnection> {
    const c = await RawConnection.open(this.port);
    this.held.add(c);
    this.counts.stalledOpened++;
    await c.write(requestHead('POST', '/detect', { 'Content-Type': 'image/jpeg', 'Transfer-Encoding': 'chunked' }));
    await c.write(`1000\r\n${'s'.repeat(0x1000)}\r\n`); // one chunk, then nothing
    void c
      .readResponse(10 * 60_000)
      .then(
        (res) => this.count(this.counts.stalledEndings, describe(res)),
        () => this.count(this.counts.stalledEndings, 'closed without an answer'),
      )
      .finally(() => this.held.delete(c));
    return c;
  }

  /** Stops starting new hostile requests; stalled uploads already open stay open (for the shutdown check). */
  async stop(): Promise<void> {
    this.running = false;
    await Promise.all(this.loops);
  }

  /** Closes whatever is still held (after the server is gone). */
  destroyAll(): void {
    for (const c of this.held) c.destroy();
  }

  private count(into: Record<string, number>, key: string): void {
    into[key] = (into[key] ?? 0) + 1;
  }

  private async stallLoop(): Promise<void> {
    while (this.running) {
      try {
        const c = await this.openStalled();
        await c.closed; // the server's request timeout ends it; then stall again
      } catch (error) {
        this.counts.unexpected.push(`stalled upload: ${(error as Error).message}`);
        await sleep(500);
      }
    }
  }

  private async disconnectLoop(everyMs: number): Promise<void> {
    const upload = request('POST', '/detect', this.jpeg, { 'Content-Type': 'image/jpeg' });
    let i = 0;
    while (this.running) {
      try {
        const c = await RawConnection.open(this.port);
        await c.write(upload);
        await sleep(i++ % 20); // hang up while the image decodes, waits or runs
        c.destroy();
        this.counts.disconnects++;
      } catch (error) {
        this.counts.unexpected.push(`disconnecting client: ${(error as Error).message}`);
      }
      await sleep(everyMs);
    }
  }

  private async multipartLoop(): Promise<void> {
    const bad = badMultiparts();
    let c: RawConnection | undefined;
    for (let i = 0; this.running; i++) {
      try {
        c ??= await RawConnection.open(this.port);
        await c.write(bad[i % bad.length]!);
        const res = await c.readResponse(30_000);
        this.count(this.counts.multipartAnswers, describe(res));
        this.counts.followUps++;
        const start = performance.now();
        await c.write(request('GET', '/healthz'));
        const next = await c.readResponse(30_000);
        if (next.status === 200) this.counts.followUpsAnswered++;
        else this.counts.unexpected.push(`follow-up got ${next.status}`);
        this.counts.followUpMaxMs = Math.max(this.counts.followUpMaxMs, performance.now() - start);
      } catch (error) {
        this.counts.unexpected.push(`multipart keep-alive: ${(error as Error).message}`);
        c?.destroy();
        c = undefined;
      }
      await sleep(20);
    }
    c?.destroy();
  }
}
