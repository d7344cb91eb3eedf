/**
 * `retinaface video --annotate out.mp4`: a copy of the video with each frame's faces drawn (boxes, landmarks, track
 * ids and scores: annotate.ts's drawing). A decoder of its own delivers every frame at full size, whatever `every` and
 * decode size the detection ran with; each frame is drawn with the faces of the latest detection at or before it (a
 * frame skipped by `every` keeps the last faces) and piped into an encoder (frame-encoder.ts).
 */
import { blendFrameOverlay, type FrameOverlay, renderFrameOverlay } from '../annotate';
import type { Face } from '../faces';
import type { VideoFrameResult } from './detect-video';
import { type DecodedFrame, FrameDecoder } from './frame-decoder';
import { FrameEncoder } from './frame-encoder';

/** Used when the container states no frame rate. */
const FALLBACK_FRAME_RATE = 30;

export class VideoAnnotator {
  private encoder: FrameEncoder | undefined;
  /** A decoded frame that belongs to a later detection than the current one. */
  private held: DecodedFrame | undefined;
  private faces: Face[] | undefined;
  /** The current faces drawn, rendered once for all the frames that show them. */
  private overlay: Promise<FrameOverlay | null> | undefined;
  private written = 0;
  private done = false;

  private constructor(
    private readonly decoder: FrameDecoder,
    private readonly output: string,
  ) {}

  /** Starts decoding `input` (a file path) for a copy at `output` (overwritten), written as detections come. */
  static async open(input: string, output: string): Promise<VideoAnnotator> {
    return new VideoAnnotator(await FrameDecoder.open(input), output);
  }

  /** Frames written so far. */
  get frames(): number {
    return this.written;
  }

  /** Writes the frames before `result` with the faces before it; the frames from `result` on get its faces. */
  async add(result: Pick<VideoFrameResult, 'index' | 'faces'>): Promise<void> {
    await this.writeUntil((frame) => frame.index < result.index);
    this.faces = result.faces;
    this.overlay = undefined;
  }

  /**
   * Writes the frames after the last detection, up to frame `untilIndex` or time `untilMs` (exclusive; by default to
   * the end of the video), then closes the file. Rejects with the decoder's or the encoder's failure.
   */
  async finish(until: { index?: number; ms?: number } = {}): Promise<void> {
    await this.writeUntil(
      (frame) =>
        (until.index === undefined || frame.index < until.index) && (until.ms === undefined || frame.timeMs < until.ms),
    );
    this.done = true;
    await this.decoder.close();
    await this.encoder?.finish();
  }

  /** Stops decoding and encoding; removes the partial file. Nothing happens after finish(). */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    await this.decoder.close();
    await this.encoder?.abort();
  }

  /** Draws and writes decoded frames while `take` holds (frames before the first detection are dropped). */
  private async writeUntil(take: (frame: DecodedFrame) => boolean): Promise<void> {
    for (;;) {
      const frame = this.held ?? (await this.decoder.next());
      this.held = undefined;
      if (!frame) return;
      if (!take(frame)) {
        this.held = frame;
        return;
      }
      if (this.faces) {
        const { width, height } = frame;
        this.encoder ??= await FrameEncoder.open(this.output, {
          width,
          height,
          frameRate: this.decoder.frameRate ?? FALLBACK_FRAME_RATE,
        });
        this.overlay ??= renderFrameOverlay(width, height, this.faces);
        const overlay = await this.overlay;
        if (overlay) blendFrameOverlay(frame, overlay); // on the decoder's buffer, which goes back to it once written
        await this.encoder.write(frame.data);
        this.written++;
      }
      this.decoder.recycle(frame.data);
    }
  }
}
