/**
 * Video -> RGB frames in display order, through an ffmpeg child process: frames as raw rgb24 on its stdout; on its
 * stderr, a line per frame with its stream timestamp (-debug_ts) and the frame size each time the filters are
 * configured (stderr-log.ts). ffmpeg applies the display rotation (autorotate), scales frames down when asked
 * (`maxSize`), and decodes ahead of the consumer until `queueFrames` frames wait; then the pipe fills and ffmpeg
 * blocks, so memory stays flat however long the video.
 */
import { type ChildProcessByStdio, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Readable, type Writable } from 'node:stream';
import { RetinaFaceError } from '../errors';
import { ffmpegPath } from './decoder-binary';
import { isStillOrTextFormat, type LogEvent, parseLogLine } from './stderr-log';

/** A file path, the bytes of a whole file, or a readable stream (an MP4 whose index is at its end needs a file). */
export type VideoInput = string | Buffer | Uint8Array | Readable;

export interface DecodedFrame {
  /** Position of the frame in the video (display order, counting every frame, from 0). */
  index: number;
  /** Presentation time from the stream's timestamps, in milliseconds. */
  timeMs: number;
  /** Displayed size (after rotation). */
  width: number;
  height: number;
  /** Length of the whole video when the container says (before any `loop`), ms. */
  durationMs: number | undefined;
  /**
   * dataWidth * dataHeight * 3 bytes of RGB: the displayed frame, or that frame scaled down to fit `maxSize`. The
   * decoder's own buffer: hand it back with recycle() once done, and it is reused for a later frame.
   */
  data: Uint8Array;
  dataWidth: number;
  dataHeight: number;
}

export interface DecodeOptions {
  /** Decode every frame but deliver only every Nth (frames 0, N, 2N, …). Default 1. */
  every?: number;
  /** Frames decoded ahead of the consumer. Default 4. */
  queueFrames?: number;
  /** Play the input this many extra times (benchmarks: a long clip from a short one). Paths only. */
  loop?: number;
  /**
   * Scale frames down (never up) to fit in this box, keeping their aspect ratio, inside ffmpeg: a detector whose input
   * is this box sees the same frame as from the full one resized, for a fraction of the pipe. Default: full size.
   */
  maxSize?: { width: number; height: number };
}

/** A frame announced on stderr whose bytes may still be on their way on stdout. */
interface FrameInfo {
  /** Output frame number (after `select`, when every > 1). */
  n: number;
  timeMs: number;
  width: number;
  height: number;
  dataWidth: number;
  dataHeight: number;
}

interface LoggedError {
  message: string;
  /** Frames delivered by ffmpeg when the error was logged. */
  atFrame: number;
}

/** Pause stdout when this many undelivered bytes wait for their frame line (the two pipes are read independently). */
const MAX_PENDING_BYTES = 64 * 1024 * 1024;
/** Frame buffers kept for reuse: enough for those in detection (detectVideo lends them) and those queued. */
const MAX_POOLED = 32;

/**
 * ffmpeg's -vf: [select every Nth], then our scale filter, whose configuration line on stderr gives the displayed
 * size (also at full size, where it only converts to RGB, with the same bicubic flags ffmpeg's automatic conversion
 * uses). Scaled down with `area` (averages each output pixel's footprint): docs/video.md compares the choices.
 */
function filterChain(every: number, maxSize: DecodeOptions['maxSize']): string {
  const select = every > 1 ? [`select=not(mod(n\\,${every}))`] : [];
  const scale = maxSize
    ? `scale=w=min(iw\\,${maxSize.width}):h=min(ih\\,${maxSize.height}):force_original_aspect_ratio=decrease:flags=area`
    : 'scale=flags=bicubic';
  return [...select, scale, 'format=rgb24'].join(',');
}

export class FrameDecoder {
  private readonly child: ChildProcessByStdio<Writable | null, Readable, Readable>;
  private readonly exited: Promise<void>;
  private readonly infos: FrameInfo[] = [];
  /** The first configuration of our scale filter: the displayed size and the size of every frame on the pipe. */
  private size: Extract<LogEvent, { kind: 'size' }> | undefined;
  private lastTimeMs = 0;
  private readonly ready: DecodedFrame[] = [];
  private readonly pool: Uint8Array[] = [];
  private chunks: Buffer[] = [];
  private pendingBytes = 0;
  private framesLogged = 0;
  private readonly errors: LoggedError[] = [];
  private failure: RetinaFaceError | undefined;
  private ended = false;
  private closing = false;
  private wake: (() => void) | undefined;
  private stderrTail = '';
  private durationMs: number | undefined;
  private streamFrameRate: number | undefined;
  private streamError: Error | undefined;
  private readonly every: number;
  private readonly queueFrames: number;

  private constructor(
    binary: string,
    private readonly source: { arg: string; stream?: Readable; tempDir?: string; head?: Uint8Array },
    options: DecodeOptions,
    private readonly label: string,
  ) {
    this.every = options.every ?? 1;
    this.queueFrames = options.queueFrames ?? 4;
    const args = [
      '-hide_banner',
      '-nostdin',
      '-nostats',
      '-loglevel',
      'level+verbose',
      '-debug_ts',
      ...(options.loop ? ['-stream_loop', String(options.loop)] : []),
      '-i',
      source.arg,
      '-map',
      '0:v:0',
      '-an',
      '-sn',
      '-dn',
      '-vf',
      filterChain(this.every, options.maxSize),
      // Timestamps on a 90 kHz clock, not rounded to 1 / frame rate (ffmpeg's default for the encoder): exact for the
      // usual rates, within 6 µs for any; every decoded frame once, with its own timestamp (no duplication or dropping
      // to a constant rate).
      '-enc_time_base',
      '1:90000',
      '-vsync',
      'passthrough',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      'pipe:1',
    ];
    this.child = spawn(binary, args, {
      stdio: [source.stream ? 'pipe' : 'ignore', 'pipe', 'pipe'],
    }) as ChildProcessByStdio<Writable | null, Readable, Readable>;
    this.exited = new Promise<void>((resolve) => {
      this.child.once('close', (code, signal) => {
        this.onExit(code, signal);
        resolve();
      });
    });
    this.child.once('error', (error) => {
      this.fail(
        new RetinaFaceError('VIDEO_DECODER_MISSING', `cannot run the video decoder ${binary}: ${error.message}`, {
          cause: error,
        }),
      );
    });
    if (source.stream && this.child.stdin) {
      this.child.stdin.on('error', () => undefined); // EPIPE when ffmpeg stops reading: its exit says why
      source.stream.once('data', (chunk: Buffer | string) => (this.source.head ??= Buffer.from(chunk).subarray(0, 16)));
      // pipe() does not end ffmpeg's stdin when the source fails, and ffmpeg would wait for more input for ever: end
      // it, so that ffmpeg decodes what it has; the failure is reported after those frames.
      source.stream.once('error', (error) => {
        this.streamError = error;
        this.child.stdin?.end();
      });
      source.stream.pipe(this.child.stdin);
    }
    this.child.stdout.on('data', (chunk: Buffer) => this.onData(chunk));
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => this.onLog(text));
  }

  /** Starts decoding `input`. VIDEO_DECODER_MISSING when there is no decoder, IMAGE_NOT_FOUND for a missing path. */
  static async open(input: VideoInput, options: DecodeOptions = {}): Promise<FrameDecoder> {
    const binary = ffmpegPath();
    if (typeof input === 'string') {
      const stat = await fs.promises.stat(input).catch(() => undefined);
      if (!stat) throw new RetinaFaceError('IMAGE_NOT_FOUND', `no video file at ${input}`);
      const head = await readHead(input);
      // `file:` keeps ffmpeg from reading a name as an option or a URL.
      return new FrameDecoder(binary, { arg: `file:${path.resolve(input)}`, head }, options, input);
    }
    if (input instanceof Uint8Array) {
      if (input.length === 0) throw new RetinaFaceError('VIDEO_INVALID', 'the video buffer is empty');
      // A file, not a pipe: MP4s usually keep their index (moov) at the end, which a pipe cannot seek to.
      const tempDir = await fs.promises.mkdtemp(path.join(os.tmpdir(), 'retinaface-video-'));
      const file = path.join(tempDir, 'input');
      await fs.promises.writeFile(file, input);
      return new FrameDecoder(
        binary,
        { arg: `file:${file}`, tempDir, head: input.subarray(0, 16) },
        options,
        'video buffer',
      );
    }
    if (
      input instanceof Readable ||
      (typeof input === 'object' && input !== null && typeof (input as Readable).pipe === 'function')
    ) {
      return new FrameDecoder(binary, { arg: 'pipe:0', stream: input as Readable }, options, 'video stream');
    }
    throw new RetinaFaceError('INVALID_ARGUMENT', 'a video is a file path, a Buffer or a readable stream');
  }

  /** The next frame, or null at the end; rejects with the decode failure once every frame before it was delivered. */
  async next(): Promise<DecodedFrame | null> {
    for (;;) {
      const frame = this.ready.shift();
      if (frame) {
        this.updateFlow();
        return frame;
      }
      if (this.failure) throw this.failure;
      if (this.ended) return null;
      await new Promise<void>((resolve) => (this.wake = resolve));
    }
  }

  /** The video stream's average frame rate, once ffmpeg has listed its streams (before the first frame). */
  get frameRate(): number | undefined {
    return this.streamFrameRate;
  }

  /** Takes back a frame's pixels (no longer read by anyone) for a later frame. */
  recycle(data: Uint8Array): void {
    if (!this.closing && this.pool.length < MAX_POOLED) this.pool.push(data);
  }

  /** Stops ffmpeg (if still running), waits until it and its pipes are gone, removes any temporary file. */
  async close(): Promise<void> {
    this.closing = true;
    if (this.source.stream && this.child.stdin) this.source.stream.unpipe(this.child.stdin);
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.child.stdin?.destroy();
    this.child.stdout.destroy();
    this.child.stderr.destroy();
    if (this.child.pid !== undefined) await this.exited;
    this.ready.length = 0;
    this.pool.length = 0;
    this.chunks = [];
    if (this.source.tempDir) await fs.promises.rm(this.source.tempDir, { recursive: true, force: true });
  }

  private onData(chunk: Buffer): void {
    this.chunks.push(chunk);
    this.pendingBytes += chunk.length;
    this.cutFrames();
  }

  private onLog(text: string): void {
    const lines = (this.stderrTail + text).split(/\r?\n/);
    this.stderrTail = lines.pop() ?? '';
    for (const line of lines) this.onLogLine(line);
  }

  private onLogLine(line: string): void {
    const event = parseLogLine(line);
    if (event.kind === 'frame') {
      // Found not to be a video (or no decoder): its frame lines may follow in the same chunk of the log; none counts.
      if (this.failure) return;
      if (!this.size) {
        this.fail(
          new RetinaFaceError(
            'VIDEO_DECODE_FAILED',
            `${this.label}: the decoder did not log the frame size (ffmpeg 4.1 or later needed)`,
          ),
        );
        this.child.kill('SIGKILL');
        return;
      }
      const { width, height, outWidth, outHeight } = this.size;
      this.lastTimeMs = event.ms ?? this.lastTimeMs;
      this.infos.push({
        n: this.framesLogged++,
        timeMs: this.lastTimeMs,
        width,
        height,
        dataWidth: outWidth,
        dataHeight: outHeight,
      });
      this.cutFrames();
    } else if (event.kind === 'size') {
      // The first configuration holds for the whole video: after a resolution change part way, ffmpeg configures our
      // filters again but scales their output to the size the encoder started with (stretching it if the shape
      // changed), so every frame comes at the first size.
      this.size ??= event;
    } else if (event.kind === 'input' && isStillOrTextFormat(event.format)) {
      this.fail(
        new RetinaFaceError('VIDEO_INVALID', `${this.label} is not a video (ffmpeg reads it as '${event.format}')`),
      );
      this.child.kill('SIGKILL');
    } else if (event.kind === 'duration') {
      this.durationMs ??= event.ms;
    } else if (event.kind === 'frameRate') {
      this.streamFrameRate ??= event.fps; // the input's stream comes first, then the output's
    } else if (event.kind === 'error') {
      this.errors.push({ message: event.message, atFrame: this.framesLogged });
    }
  }

  /** Moves complete frames (their line logged, their bytes read) into the ready queue. */
  private cutFrames(): void {
    while (this.infos.length > 0) {
      const info = this.infos[0]!;
      const size = info.dataWidth * info.dataHeight * 3;
      if (this.pendingBytes < size) break;
      this.infos.shift();
      const data = this.takeBuffer(size);
      let filled = 0;
      while (filled < size) {
        const chunk = this.chunks[0]!;
        const take = Math.min(chunk.length, size - filled);
        data.set(take === chunk.length ? chunk : chunk.subarray(0, take), filled);
        filled += take;
        if (take === chunk.length) this.chunks.shift();
        else this.chunks[0] = chunk.subarray(take);
      }
      this.pendingBytes -= size;
      const { n, timeMs, width, height, dataWidth, dataHeight } = info;
      this.ready.push({
        index: n * this.every,
        timeMs,
        width,
        height,
        durationMs: this.durationMs,
        data,
        dataWidth,
        dataHeight,
      });
    }
    this.updateFlow();
    this.notify();
  }

  private takeBuffer(size: number): Uint8Array {
    const i = this.pool.findIndex((b) => b.length === size);
    return i >= 0 ? this.pool.splice(i, 1)[0]! : new Uint8Array(size);
  }

  /** Backpressure: ffmpeg blocks on a full pipe while the consumer is behind. */
  private updateFlow(): void {
    if (this.ended || this.closing) return;
    const stdout = this.child.stdout;
    const full = this.ready.length >= this.queueFrames || this.pendingBytes >= MAX_PENDING_BYTES;
    if (full && !stdout.isPaused()) stdout.pause();
    else if (!full && stdout.isPaused()) stdout.resume();
  }

  private notify(): void {
    const wake = this.wake;
    this.wake = undefined;
    wake?.();
  }

  private fail(error: RetinaFaceError): void {
    this.failure ??= error;
    this.notify();
  }

  private onExit(code: number | null, signal: NodeJS.Signals | null): void {
    if (this.stderrTail) this.onLogLine(this.stderrTail);
    this.stderrTail = '';
    this.cutFrames();
    this.ended = true;
    if (!this.closing && !this.failure) {
      const failure = this.exitFailure(code, signal);
      if (failure) this.failure = failure;
    }
    this.notify();
  }

  /** Why a finished ffmpeg run is a failure, if it is: nothing decodable is VIDEO_INVALID, damage part way is VIDEO_DECODE_FAILED. */
  private exitFailure(code: number | null, signal: NodeJS.Signals | null): RetinaFaceError | undefined {
    if (this.streamError) {
      return new RetinaFaceError(
        'VIDEO_DECODE_FAILED',
        `${this.label}: reading it failed after ${this.framesLogged * this.every} frames: ${this.streamError.message}`,
        { cause: this.streamError },
      );
    }
    const first = this.errors[0];
    if (code === 0 && !first) return undefined;
    const said = first ? first.message : signal ? `ffmpeg was killed by ${signal}` : `ffmpeg exited with code ${code}`;
    const all = this.errors.map((e) => e.message).join(' ');
    if (this.framesLogged === 0) {
      // A video container's header, but not one frame: cut short (an MP4 without its index at the end).
      if (this.source.head && hasVideoContainerMagic(this.source.head)) {
        return new RetinaFaceError(
          'VIDEO_DECODE_FAILED',
          `${this.label}: frame 0 could not be decoded; the file looks truncated (${said})`,
        );
      }
      if (/matches no streams|does not contain any stream/i.test(all)) {
        return new RetinaFaceError('VIDEO_INVALID', `${this.label} has no video stream`);
      }
      return new RetinaFaceError('VIDEO_INVALID', `${this.label} is not a video the decoder can read (${said})`);
    }
    const frame = (first?.atFrame ?? this.framesLogged) * this.every;
    const more = this.errors.length > 1 ? ` (${this.errors.length - 1} more decoder errors)` : '';
    return new RetinaFaceError(
      'VIDEO_DECODE_FAILED',
      `${this.label}: decoding failed at frame ${frame} (${this.framesLogged} frames delivered): ${said}${more}`,
    );
  }
}

async function readHead(file: string): Promise<Uint8Array | undefined> {
  const handle = await fs.promises.open(file, 'r').catch(() => undefined);
  if (!handle) return undefined;
  try {
    const head = Buffer.alloc(16);
    const { bytesRead } = await handle.read(head, 0, 16, 0);
    return head.subarray(0, bytesRead);
  } finally {
    await handle.close();
  }
}

/** ISO BMFF (MP4, MOV, 3GP: an `ftyp` box first) or EBML (Matroska, WebM). */
function hasVideoContainerMagic(head: Uint8Array): boolean {
  const ftyp = head.length >= 8 && Buffer.from(head.subarray(4, 8)).toString('latin1') === 'ftyp';
  const ebml = head.length >= 4 && head[0] === 0x1a && head[1] === 0x45 && head[2] === 0xdf && head[3] === 0xa3;
  return ftyp || ebml;
}

/**
 * The frames of `input` as an async iterable (a frame's pixels are reused once the next is asked for); breaking out
 * of the loop (or an error) stops ffmpeg at once.
 */
export async function* decodeVideoFrames(input: VideoInput, options: DecodeOptions = {}): AsyncGenerator<DecodedFrame> {
  const decoder = await FrameDecoder.open(input, options);
  try {
    for (let frame = await decoder.next(); frame; frame = await decoder.next()) {
      yield frame;
      decoder.recycle(frame.data);
    }
  } finally {
    await decoder.close();
  }
}
