/**
 * The public detector: image in, faces out, on whichever backend fits the machine. A call's image is decoded to
 * pixels here (under the pixel budget), then batched; the backend's stages turn a batch of pixels into faces.
 */
import { setMaxListeners } from 'node:events';
import { alignDecoded, type AlignedFace, resolveAlignSize } from './align';
import type { BackendInfo, DetectionBackend, ImageFaces } from './backends/backend';
import { selectBackend } from './backends/select';
import { abortError, Batcher } from './batcher';
import type { PostprocessOptions, RawPixels } from './binding';
import { applyCallFilters, type DetectCallOptions, resolveCallOptions } from './call-options';
import { type ErrorCode, RetinaFaceError } from './errors';
import type { Face } from './faces';
import { captureInput, decodeCaptured, decodeImage, type ImageInput, type ImageLimits, readHeader } from './image';
import { type FastDecodePlan, mapFacesToSource, planFastDecode } from './fast-decode';
import { resolveInt8Model } from './models/int8-model';
import { resolveModel } from './models/resolve';
import { type DetectorOptions, type ResolvedOptions, resolveOptions } from './options';
import { PixelBudget } from './pixel-budget';
import type { BatchEvent, CallTimings, DetectorStats } from './stats';
import { detectVideo, type VideoFrameResult, type VideoOptions } from './video/detect-video';
import type { VideoInput } from './video/frame-decoder';

export type { DetectCallOptions } from './call-options';

/** Batches in flight at once (one in inference, one being prepared); each holds an input tensor. */
const CONCURRENT_BATCHES = 2;

export interface DetectAndAlignOptions extends DetectCallOptions {
  /** Side of the aligned crops, 16..1024. Default 112 (ArcFace). */
  size?: number;
}

/** A detection with its face aligned to the ArcFace template (docs/alignment.md). */
export type AlignedDetection = Face & { aligned: AlignedFace };

type Canvas = { width: number; height: number };

export class Detector {
  private closed = false;
  /** The one close() in progress: every close() call waits for it. */
  private closing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly batcher: Batcher<RawPixels, ImageFaces>;
  private readonly batchListeners = new Set<(event: BatchEvent) => void>();
  private readonly budget: PixelBudget;
  private readonly limits: ImageLimits;
  private readonly counters = { completed: 0, batches: 0, images: 0, failed: {} as Partial<Record<ErrorCode, number>> };

  private constructor(
    private readonly backend: DetectionBackend,
    /** Which backend runs this detector, and why. */
    readonly backendInfo: BackendInfo,
    /** The model file in use. */
    readonly modelPath: string,
    /** Network input size, or 'original' (every image at its own size). */
    readonly inputSize: Canvas | 'original',
    private readonly options: ResolvedOptions,
  ) {
    const postprocess: PostprocessOptions = {
      scoreThreshold: options.scoreThreshold,
      nmsThreshold: options.nmsThreshold,
      preNmsTopK: options.preNmsTopK,
      maxFaces: options.maxFaces,
      clip: options.clip,
    };
    const maxBatch = Math.min(options.maxBatch, backend.maxBatch);
    this.limits = {
      maxPixels: options.maxPixels,
      minSide: options.minSide,
      failOn: options.failOn,
      ...(inputSize === 'original' ? { maxOriginalPixels: options.maxOriginalPixels } : {}),
    };
    this.budget = new PixelBudget(options.maxInflightPixels);
    const stages = backend.batchStages({
      inputSize,
      maxBatch,
      concurrentBatches: CONCURRENT_BATCHES,
      postprocess,
      observer: {
        runStarted: (images) => {
          this.counters.batches++;
          this.counters.images += images;
        },
        runFinished: (event) => this.notifyBatch(event),
      },
    });
    this.batcher = new Batcher(
      {
        maxBatch,
        maxDelayMs: options.maxDelayMs,
        maxQueue: options.maxQueue,
        maxConcurrentBatches: CONCURRENT_BATCHES,
      },
      stages,
    );
  }

  static async create(options: DetectorOptions = {}): Promise<Detector> {
    const resolved = resolveOptions(options);
    const floatModel = await resolveModel(resolved.model);
    const modelPath = resolved.precision === 'int8' ? resolveInt8Model(floatModel) : floatModel;
    const { backend, info } = await selectBackend(resolved.backend, modelPath, {
      cpuThreads: resolved.cpuThreads,
      ...(resolved.log ? { log: resolved.log } : {}),
      tensorrt: {
        ...resolved.tensorrt,
        precision: resolved.precision,
        inputSize: resolved.inputSize,
        maxBatch: resolved.maxBatch,
        preNmsTopK: resolved.preNmsTopK,
        maxFaces: resolved.maxFaces,
      },
    });
    try {
      return new Detector(backend, info, modelPath, Detector.chooseInputSize(resolved, backend), resolved);
    } catch (error) {
      await backend.close();
      throw error;
    }
  }

  /** A fixed-size model dictates the input size; asking for another one is an error, not a silent change. */
  private static chooseInputSize(options: ResolvedOptions, backend: DetectionBackend): Detector['inputSize'] {
    const fixed = backend.shape.fixedSize;
    if (!fixed) return options.inputSize;
    const wanted = options.inputSize;
    if (!options.inputSizeExplicit) return fixed;
    if (wanted === 'original' || wanted.width !== fixed.width || wanted.height !== fixed.height) {
      throw new RetinaFaceError(
        'INVALID_ARGUMENT',
        `the model has a fixed ${fixed.width}x${fixed.height} input; inputSize ${JSON.stringify(wanted)} needs a ` +
          'dynamic-shape ONNX (or leave inputSize unset)',
      );
    }
    return fixed;
  }

  /**
   * Detects the faces of one image; coordinates are in the original image's pixels. Concurrent calls are batched
   * into one inference (options maxBatch / maxDelayMs).
   */
  async detect(input: ImageInput, options?: DetectCallOptions): Promise<Face[]> {
    return (await this.detectWithTimings(input, options)).faces;
  }

  /**
   * detect(), plus where the call spent its time. The input is taken at call time (pixels and bytes copied), so the
   * caller may reuse or transfer its buffers as soon as this returns.
   */
  detectWithTimings(input: ImageInput, options?: DetectCallOptions): Promise<{ faces: Face[]; timings: CallTimings }> {
    // Synchronous up to detectOne's first await: options are checked and the input captured before this returns.
    const promise = this.detectOne(input, options);
    return this.track(promise);
  }

  /**
   * detect() on pixels lent, not copied: for detectVideo, whose frame buffers are its own and wait, unread by anyone
   * else, until the returned promise settles.
   * @internal
   */
  detectLentPixels(pixels: RawPixels, options?: DetectCallOptions): Promise<Face[]> {
    return this.track(this.detectOne(pixels, options, true)).then((result) => result.faces);
  }

  private async track<T>(promise: Promise<T>): Promise<T> {
    this.inFlight.add(promise);
    try {
      const result = await promise;
      this.counters.completed++;
      return result;
    } catch (error) {
      const code = error instanceof RetinaFaceError ? error.code : 'NATIVE_ERROR';
      this.counters.failed[code] = (this.counters.failed[code] ?? 0) + 1;
      throw error;
    } finally {
      this.inFlight.delete(promise);
    }
  }

  /**
   * detect(), then every face aligned to the ArcFace template as a size x size RGB crop (alignFace), cut from the
   * pixels decoded for detection: the image is decoded once.
   */
  async detectAndAlign(input: ImageInput, options: DetectAndAlignOptions = {}): Promise<AlignedDetection[]> {
    if (typeof options !== 'object' || options === null)
      throw new RetinaFaceError('INVALID_ARGUMENT', 'options must be an object');
    const { size, ...callOptions } = options;
    const cropSize = resolveAlignSize(size);
    resolveCallOptions(callOptions, this.options); // bad call options fail before the decode, as in detect()
    this.assertOpen();
    // Decoded here with detect()'s checks; detect() then takes the pixels as raw input (copied, not decoded again).
    const pixels = await decodeImage(input, this.limits);
    const faces = await this.detect(pixels, callOptions);
    const crops = await alignDecoded(
      pixels,
      faces.map((face) => face.landmarks),
      cropSize,
    );
    return faces.map((face, i) => ({ ...face, aligned: crops[i]! }));
  }

  /** Detects faces in several images, batched; results in input order. Fails with the first failing image. */
  async detectBatch(inputs: readonly ImageInput[], options?: DetectCallOptions): Promise<Face[][]> {
    if (!Array.isArray(inputs)) throw new RetinaFaceError('INVALID_ARGUMENT', 'detectBatch takes an array of images');
    this.assertOpen();
    const { signal, ...filters } = resolveCallOptions(options, this.options);
    // One listener on the caller's signal for the whole batch; the calls listen to an internal one (up to two
    // listeners a call in flight: the wait before the batcher, then the batcher's own).
    const internal = new AbortController();
    setMaxListeners(0, internal.signal);
    const forward = () => internal.abort(signal!.reason);
    if (signal?.aborted) forward();
    else signal?.addEventListener('abort', forward, { once: true });
    const callOptions: DetectCallOptions = {
      signal: internal.signal,
      ...(filters.scoreThreshold !== undefined ? { scoreThreshold: filters.scoreThreshold } : {}),
      ...(filters.maxFaces !== undefined ? { maxFaces: filters.maxFaces } : {}),
    };
    // Keep a bounded window in flight so a long list neither fills the queue nor waits for all decodes first.
    const window = Math.max(1, Math.min(this.options.maxQueue, 2 * this.options.maxBatch));
    const results: Face[][] = new Array(inputs.length);
    let next = 0;
    const worker = async () => {
      while (next < inputs.length) {
        const i = next++;
        results[i] = await this.detect(inputs[i]!, callOptions).catch((error: RetinaFaceError) => {
          next = inputs.length; // stop starting new work
          throw new RetinaFaceError(error.code, `image ${i}: ${error.message}`, { cause: error });
        });
      }
    };
    try {
      await Promise.all(Array.from({ length: Math.min(window, inputs.length) }, worker));
    } finally {
      signal?.removeEventListener('abort', forward);
    }
    return results;
  }

  /**
   * The faces of a video's frames, as an async iterable in display order: `{ index, timeMs, width, height, faces }`
   * with coordinates in the displayed (rotation applied) frame. Decoding needs the optional package
   * @ffmpeg-installer/ffmpeg (VIDEO_DECODER_MISSING without it). See docs/video.md.
   */
  detectVideo(input: VideoInput, options?: VideoOptions): AsyncGenerator<VideoFrameResult, void, undefined> {
    this.assertOpen();
    return detectVideo(this, input, options, {
      // Enough frames in flight for full batches, one being prepared while the other runs.
      inFlight: Math.max(2, Math.min(this.options.maxQueue, 2 * this.options.maxBatch)),
      inputSize: this.inputSize === 'original' ? undefined : this.inputSize,
      clip: this.options.clip,
    });
  }

  /** Counters since creation, and the queue now. */
  stats(): DetectorStats {
    const { completed, batches, images, failed } = this.counters;
    return {
      completed,
      failed: { ...failed },
      batches,
      images,
      meanBatchSize: batches ? images / batches : 0,
      queueDepth: this.batcher.queueDepth,
      runningBatches: this.batcher.runningBatches,
    };
  }

  /** Calls `listener` after every batch (e.g. for metrics); returns a function that unsubscribes. */
  onBatch(listener: (event: BatchEvent) => void): () => void {
    this.batchListeners.add(listener);
    return () => this.batchListeners.delete(listener);
  }

  /** Waits for calls in flight, then frees the backend. Later calls reject with DETECTOR_CLOSED. */
  close(): Promise<void> {
    this.closed = true;
    this.closing ??= (async () => {
      await Promise.allSettled([...this.inFlight]);
      await this.backend.close();
    })();
    return this.closing;
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private assertOpen(): void {
    if (this.closed) throw new RetinaFaceError('DETECTOR_CLOSED', 'the detector was closed');
  }

  /**
   * One call: options checked, a queue place reserved and the input captured (synchronously, before the first
   * await), the header read and checked, a share of the pixel budget taken, then decode and the batcher. The budget
   * is held until the result, or until an abandoned decode ends, whichever is later: it counts what memory holds.
   */
  private async detectOne(
    input: ImageInput,
    options: DetectCallOptions | undefined,
    lent = false,
  ): Promise<{ faces: Face[]; timings: CallTimings }> {
    this.assertOpen();
    const call = resolveCallOptions(options, this.options);
    const { signal } = call;
    if (signal?.aborted) throw abortError(signal);
    const start = performance.now();
    const releaseQueuePlace = this.batcher.reserve();
    let releaseBudget: (() => void) | undefined;
    let decoding: Promise<RawPixels> | undefined;
    let pixels: RawPixels;
    let fast: FastDecodePlan | undefined;
    try {
      const captured = captureInput(input, this.limits, lent); // before the first await: the caller's buffers are ours now
      const header = await untilAborted(readHeader(captured, this.limits), signal);
      releaseBudget = await this.budget.acquire(header.width * header.height, signal);
      fast =
        this.options.decode === 'fast' && this.inputSize !== 'original' && captured.kind !== 'sharp'
          ? planFastDecode(header, this.inputSize)
          : undefined;
      decoding = decodeCaptured(captured, this.limits, fast);
      // An abort does not wait for the decode (untilAborted), but the decode keeps its pixels until it ends.
      pixels = await untilAborted(decoding, signal);
    } catch (error) {
      if (releaseBudget) void (decoding ?? Promise.resolve()).then(releaseBudget, releaseBudget);
      throw error;
    } finally {
      releaseQueuePlace();
    }
    const decodeMs = performance.now() - start;
    try {
      const { value, queueMs, batchSize } = await this.batcher.submit(pixels, signal);
      return {
        faces: applyCallFilters(fast ? mapFacesToSource(value.faces, fast, this.options.clip) : value.faces, call),
        timings: {
          decodeMs,
          ...value.timings,
          queueMs: value.timings.queueMs ?? queueMs,
          totalMs: performance.now() - start,
          batchSize,
        },
      };
    } finally {
      releaseBudget();
    }
  }

  private notifyBatch(event: BatchEvent): void {
    for (const listener of this.batchListeners) {
      try {
        listener({ ...event }); // each its own copy
      } catch {
        // A failing observer (metrics, logging) must not fail the callers' detections.
      }
    }
  }
}

/** `promise`, or ABORTED as soon as `signal` fires (the work itself goes on; its owner cleans up after it). */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal | undefined): Promise<T> {
  if (!signal) return promise;
  if (signal.aborted) return Promise.reject(abortError(signal));
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(abortError(signal));
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => (signal.removeEventListener('abort', onAbort), resolve(value)),
      (error: unknown) => (signal.removeEventListener('abort', onAbort), reject(error)),
    );
  });
}
