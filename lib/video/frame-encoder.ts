/**
 * RGB frames -> a video file, through an ffmpeg child: raw rgb24 frames on its stdin at a constant frame rate,
 * encoded as H.264 (libx264) where the ffmpeg build has it, else MPEG-4 part 2; VP9 for a .webm file. No audio.
 */
import { type ChildProcessByStdio, execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import type { Readable, Writable } from 'node:stream';
import { promisify } from 'node:util';
import { RetinaFaceError } from '../errors';
import { ffmpegPath } from './decoder-binary';

export interface EncodeOptions {
  width: number;
  height: number;
  /** Frames a second of the output (the source's average rate). */
  frameRate: number;
}

const encodersByBinary = new Map<string, Promise<string>>();

/** `ffmpeg -encoders`, once per binary. */
function encoderList(binary: string): Promise<string> {
  let list = encodersByBinary.get(binary);
  if (!list) {
    list = promisify(execFile)(binary, ['-hide_banner', '-encoders']).then(
      ({ stdout }) => stdout,
      () => '',
    );
    encodersByBinary.set(binary, list);
  }
  return list;
}

/** Codec arguments for `file`: VP9 for WebM, else H.264 (CRF 20, fast preset) or, without libx264, MPEG-4. */
async function codecArgs(binary: string, file: string): Promise<string[]> {
  const encoders = await encoderList(binary);
  const has = (name: string) => new RegExp(`^\\s*V\\S*\\s+${name}\\s`, 'm').test(encoders);
  const ext = path.extname(file).toLowerCase();
  if (ext === '.webm') {
    if (!has('libvpx-vp9'))
      throw new RetinaFaceError('VIDEO_ENCODE_FAILED', `the ffmpeg at ${binary} has no VP9 encoder for ${file}`);
    return ['-c:v', 'libvpx-vp9', '-deadline', 'realtime', '-cpu-used', '8', '-crf', '32', '-b:v', '0'];
  }
  const codec = has('libx264')
    ? ['-c:v', 'libx264', '-preset', 'veryfast', '-crf', '20']
    : ['-c:v', 'mpeg4', '-q:v', '3'];
  return [...codec, ...(ext === '.mp4' || ext === '.mov' || ext === '.m4v' ? ['-movflags', '+faststart'] : [])];
}

export class FrameEncoder {
  private readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private stderr = '';
  private readonly frameBytes: number;

  private constructor(
    private readonly child: ChildProcessByStdio<Writable, null, Readable>,
    private readonly file: string,
    options: EncodeOptions,
  ) {
    this.frameBytes = options.width * options.height * 3;
    this.exited = new Promise((resolve) => this.child.once('close', (code, signal) => resolve({ code, signal })));
    this.child.once('error', () => undefined); // a failed spawn also closes: its exit status says so
    this.child.stdin.on('error', () => undefined); // EPIPE when ffmpeg stops reading: its exit says why
    this.child.stderr.setEncoding('utf8');
    this.child.stderr.on('data', (text: string) => (this.stderr = (this.stderr + text).slice(-4000)));
  }

  /** Starts an encoder writing `file` (overwritten). */
  static async open(file: string, options: EncodeOptions): Promise<FrameEncoder> {
    const binary = ffmpegPath();
    const { width, height, frameRate } = options;
    const codec = await codecArgs(binary, file);
    fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
    const args = [
      '-hide_banner',
      '-loglevel',
      'error',
      '-f',
      'rawvideo',
      '-pix_fmt',
      'rgb24',
      '-s',
      `${width}x${height}`,
      '-r',
      String(frameRate),
      '-i',
      'pipe:0',
      '-an',
      ...codec,
      // 4:2:0 (what players expect) needs an even width and height.
      ...(width % 2 || height % 2 ? ['-vf', 'pad=ceil(iw/2)*2:ceil(ih/2)*2'] : []),
      '-pix_fmt',
      'yuv420p',
      '-y',
      path.resolve(file),
    ];
    const child = spawn(binary, args, { stdio: ['pipe', 'ignore', 'pipe'] });
    return new FrameEncoder(child, file, options);
  }

  /** Writes one frame; resolves once ffmpeg has taken it, so the caller may reuse `rgb` then. */
  async write(rgb: Uint8Array): Promise<void> {
    if (rgb.length !== this.frameBytes)
      throw new RetinaFaceError(
        'INVALID_ARGUMENT',
        `a frame of ${rgb.length} bytes; the video's take ${this.frameBytes}`,
      );
    try {
      await new Promise<void>((resolve, reject) =>
        this.child.stdin.write(rgb, (error) => (error ? reject(error) : resolve())),
      );
    } catch (error) {
      throw await this.failure(error);
    }
  }

  /** Ends the input and waits for the file to be written. */
  async finish(): Promise<void> {
    this.child.stdin.end();
    const { code } = await this.exited;
    if (code !== 0) throw await this.failure(undefined);
  }

  /** Stops the encoder and removes the partial file. */
  async abort(): Promise<void> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    this.child.stdin.destroy();
    await this.exited;
    await fs.promises.rm(this.file, { force: true });
  }

  private async failure(cause: unknown): Promise<RetinaFaceError> {
    const { code, signal } = await this.exited;
    const said =
      this.stderr.trim().split('\n').slice(-3).join(' ') || (signal ? `killed by ${signal}` : `exit code ${code}`);
    return new RetinaFaceError('VIDEO_ENCODE_FAILED', `writing ${this.file} failed: ${said}`, { cause });
  }
}
