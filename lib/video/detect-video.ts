/**
 * Video in, faces out: decoded RGB frames go straight into the detector (its batcher gathers them), a few frames in
 * flight at once, results in display order. Decoding runs ahead in ffmpeg with a bounded queue (frame-decoder.ts),
 * which by default also scales frames down to the detector's input size, so that only what the detector uses crosses
 * the pipe; faces are mapped back to the displayed frame.
 */
import { setMaxListeners } from 'node:events';
import type { DetectCallOptions } from '../call-options';
import { RetinaFaceError } from '../errors';
import type { Face } from '../faces';
import { mapFacesToSource } from '../fast-decode';
import type { RawPixels } from '../binding';
import type { ImageInput } from '../image';
import { numberIn } from '../options';
import { type DecodedFrame, FrameDecoder, type VideoInput } from './frame-decoder';
import { FaceTracker, type TrackedFace, type TrackerOptions } from './tracker';

export interface VideoOptions extends DetectCallOptions {
  /** Detect on every Nth frame (0, N, 2N, …); the others are decoded but not converted or detected. Default 1. */
  every?: number;
  /** Skip frames before this time (ms of stream time). */
  start?: number;
  /** Stop at this time (ms, exclusive). */
  end?: number;
  /** Stop after this many results. */
  maxFrames?: number;
  /** Give each face a trackId that stays the same while the face stays in view (true, or tracker settings). */
  track?: boolean | TrackerOptions;
  /** Frames decoded ahead of detection. Default 4. */
  queueFrames?: number;
  /** Play a file input this many extra times (benchmarks). */
  loop?: number;
  /**
   * 'detector' (default): ffmpeg scales each frame down to the detector's input size (what the detector's letterbox
   * would do, for a tenth of the pipe at 1080p and 640); faces are still in displayed-frame pixels. 'full': frames
   * cross at their displayed size (for drawing on them, or with inputSize 'original', which always does).
   */
  decodeSize?: 'detector' | 'full';
}

export interface VideoFrameResult {
  /** Frame position in the video, display order, from 0. */
  index: number;
  /** Presentation time from the stream, ms. */
  timeMs: number;
  /** Displayed frame size (rotation applied): face coordinates are in this frame. */
  width: number;
  height: number;
  faces: TrackedFace[];
  /** Length of the whole video when its container says, ms (for progress). */
  durationMs: number | undefined;
  /** Time spent waiting for the decoder for this frame, ms (0 when it was decoded ahead). */
  decodeWaitMs: number;
}

/** What detectVideo needs of the detector. */
export interface FrameDetector {
  detect(input: ImageInput, options?: DetectCallOptions): Promise<Face[]>;
  /** detect() without the call-time copy: the pixels stay untouched until the promise settles. */
  detectLentPixels?(pixels: RawPixels, options?: DetectCallOptions): Promise<Face[]>;
}

/** How the detector behind detectVideo works: what it can take, how it places images. */
export interface VideoDetectorSettings {
  /** Detections kept in flight (enough for full batches, one prepared while one runs). */
  inFlight: number;
  /** The detector's fixed input size, undefined for 'original'. */
  inputSize: { width: number; height: number } | undefined;
  /** Whether boxes are clipped to the image (detector option `clip`). */
  clip: boolean;
}

const KNOWN = new Set([
  'signal',
  'scoreThreshold',
  'maxFaces',
  'every',
  'start',
  'end',
  'maxFrames',
  'track',
  'queueFrames',
  'loop',
  'decodeSize',
]);

function checkOptions(options: VideoOptions): void {
  if (typeof options !== 'object' || options === null)
    throw new RetinaFaceError('INVALID_ARGUMENT', 'video options must be an object');
  for (const key of Object.keys(options)) {
    if (!KNOWN.has(key)) throw new RetinaFaceError('INVALID_ARGUMENT', `unknown video option '${key}'`);
  }
  if (options.every !== undefined) numberIn('every', options.every, 1, 1_000_000, true);
  if (options.start !== undefined) numberIn('start', options.start, 0, Number.MAX_SAFE_INTEGER, false);
  if (options.end !== undefined) numberIn('end', options.end, 0, Number.MAX_SAFE_INTEGER, false);
  if (options.maxFrames !== undefined) numberIn('maxFrames', options.maxFrames, 1, Number.MAX_SAFE_INTEGER, true);
  if (options.queueFrames !== undefined) numberIn('queueFrames', options.queueFrames, 1, 256, true);
  if (options.loop !== undefined) numberIn('loop', options.loop, 0, 1_000_000, true);
  if (options.decodeSize !== undefined && options.decodeSize !== 'detector' && options.decodeSize !== 'full') {
    throw new RetinaFaceError(
      'INVALID_ARGUMENT',
      `decodeSize must be 'detector' or 'full', got ${JSON.stringify(options.decodeSize)}`,
    );
  }
}

/**
 * The faces of every frame of `input` (or every `every`th), as an async iterable in display order. Stopping early
 * (break, return(), an aborted signal) stops the decoder and waits until it is gone.
 */
export async function* detectVideo(
  detector: FrameDetector,
  input: VideoInput,
  options: VideoOptions = {},
  settings: VideoDetectorSettings = { inFlight: 4, inputSize: undefined, clip: true },
): AsyncGenerator<VideoFrameResult, void, undefined> {
  checkOptions(options);
  const { signal, scoreThreshold, maxFaces, every, start, end, maxFrames, track, queueFrames, loop, decodeSize } =
    options;
  const inFlightFrames = settings.inFlight;
  const maxSize = decodeSize !== 'full' ? settings.inputSize : undefined;
  if (signal?.aborted)
    throw new RetinaFaceError('ABORTED', 'the video was aborted before it started', { cause: signal.reason });
  const decoder = await FrameDecoder.open(input, {
    ...(every !== undefined ? { every } : {}),
    ...(loop !== undefined ? { loop } : {}),
    ...(maxSize ? { maxSize } : {}),
    // Frames in flight hold buffers of their own (lent to the detector), so the decoder needs little slack.
    queueFrames: queueFrames ?? 4,
  });
  // Calls in flight listen to this one signal; it fires on the caller's abort and when we stop early.
  const stop = new AbortController();
  setMaxListeners(0, stop.signal); // a listener or two for each call in flight: bounded by inFlightFrames
  const onAbort = () => stop.abort(signal!.reason);
  signal?.addEventListener('abort', onAbort, { once: true });
  const aborted = new Promise<never>((_, reject) => {
    stop.signal.addEventListener('abort', () => reject(new RetinaFaceError('ABORTED', 'the video was aborted')), {
      once: true,
    });
  });
  aborted.catch(() => undefined);
  const tracker = track ? new FaceTracker(track === true ? {} : track) : undefined;
  const callOptions: DetectCallOptions = {
    signal: stop.signal,
    ...(scoreThreshold !== undefined ? { scoreThreshold } : {}),
    ...(maxFaces !== undefined ? { maxFaces } : {}),
  };
  type Pending = Omit<VideoFrameResult, 'faces'> & { faces: Promise<Face[]> };
  const pending: Pending[] = [];
  // Decoded frames go to the detector a batch at a time. Handed over one by one as they come, each would start a
  // batch the moment the engine is free; with the decoder and inference sharing the CPU, those batches stay at one
  // or two frames, and inference costs more CPU a frame than in full batches (docs/video.md).
  const group: Array<{ frame: DecodedFrame; decodeWaitMs: number }> = [];
  const groupSize = Math.max(1, Math.floor(inFlightFrames / 2));
  const submit = ({ frame, decodeWaitMs }: { frame: DecodedFrame; decodeWaitMs: number }) => {
    const { data, width, height, dataWidth, dataHeight, index, timeMs, durationMs } = frame;
    // The frame's buffer is lent to the detector (no copy) and goes back to the decoder when its detection settles.
    const pixels: RawPixels = { data, width: dataWidth, height: dataHeight, channels: 3 };
    const detected = detector.detectLentPixels
      ? detector.detectLentPixels(pixels, callOptions)
      : detector.detect(pixels, callOptions);
    const recycle = () => decoder.recycle(data);
    detected.then(recycle, recycle);
    const scaled = dataWidth !== width || dataHeight !== height;
    const faces = scaled
      ? detected.then((found) =>
          mapFacesToSource(
            found,
            { width: dataWidth, height: dataHeight, sourceWidth: width, sourceHeight: height },
            settings.clip,
          ),
        )
      : detected;
    faces.catch(() => undefined); // awaited below, in order; an early stop leaves some unobserved
    pending.push({ index, timeMs, width, height, durationMs, decodeWaitMs, faces });
  };
  const flush = () => group.splice(0).forEach(submit);
  let delivered = 0;
  let decodeFailure: unknown;
  try {
    let decodingDone = false;
    const wanted = () => maxFrames === undefined || delivered + pending.length + group.length < maxFrames;
    for (;;) {
      // Keep the detector fed: up to inFlightFrames frames decoded or in detection before waiting for the oldest result.
      while (!decodingDone && pending.length + group.length < inFlightFrames && wanted()) {
        const t0 = performance.now();
        let frame: DecodedFrame | null;
        try {
          frame = await Promise.race([decoder.next(), aborted]);
        } catch (error) {
          if (stop.signal.aborted) throw error;
          // A decode failure comes after the frames decoded before it, including those still in detection.
          decodeFailure = error;
          frame = null;
        }
        const decodeWaitMs = performance.now() - t0;
        if (!frame || (end !== undefined && frame.timeMs >= end)) {
          decodingDone = true;
          break;
        }
        if (start !== undefined && frame.timeMs < start) {
          decoder.recycle(frame.data);
          continue;
        }
        group.push({ frame, decodeWaitMs });
        if (group.length >= groupSize) flush();
      }
      // No more frames to come for a full group, or nothing else in detection: submit what there is.
      if (decodingDone || !wanted() || pending.length === 0) flush();
      const next = pending.shift();
      if (!next) {
        if (decodeFailure !== undefined) throw decodeFailure;
        break;
      }
      const faces = await Promise.race([next.faces, aborted]);
      const { faces: _, ...frame } = next;
      yield { ...frame, faces: tracker ? tracker.update(faces, frame.timeMs) : faces };
      delivered++;
      if (maxFrames !== undefined && delivered >= maxFrames) break;
      // Aborted while the caller had that frame: no frame after it, even one whose detection is already done (the
      // race below would prefer its settled result to the settled abort).
      if (stop.signal.aborted) await aborted;
    }
  } catch (error) {
    if (stop.signal.aborted && signal?.aborted)
      throw new RetinaFaceError('ABORTED', 'the video was aborted', { cause: signal.reason });
    throw error;
  } finally {
    signal?.removeEventListener('abort', onAbort);
    if (!stop.signal.aborted) stop.abort(new RetinaFaceError('ABORTED', 'the video iteration stopped'));
    await decoder.close();
    await Promise.allSettled(pending.map((p) => p.faces));
  }
}
