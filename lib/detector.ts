/** The public detector: image in, faces out, on whichever backend fits the machine. */
import { setMaxListeners } from 'node:events';
import { alignDecoded, type AlignedFace, resolveAlignSize } from './align';
import type { BackendInfo, InferenceBackend } from './backends/backend';
import { selectBackend } from './backends/select';
import { isPixelBackend, type PixelBackend } from './backends/tensorrt';
import { abortError, Batcher, type BatchStages, runLiveSlots } from './batcher';
import { binding, type Letterbox, type PostprocessOptions, type RawOutputs, type RawPixels } from './binding';
import { applyCallFilters, type DetectCallOptions, resolveCallOptions } from './call-options';
import { type ErrorCode, RetinaFaceError, toRetinaFaceError } from './errors';
import { type Face, unpackFaces } from './faces';
import { captureInput, decodeCaptured, decodeImage, type ImageInput, type ImageLimits, readHeader } from './image';
import { type FastDecodePlan, mapFacesToSource, planFastDecode } from './fast-decode';
import { resolveInt8Model } from './models/int8-model';
import { resolveModel } from './models/resolve';
import { type DetectorOptions, type ResolvedOptions, resolveOptions } from './options';
import { PixelBudget } from './pixel-budget';
import type { BatchEvent, CallTimings, DetectorStats } from './stats';
import { TensorPool } from './tensor-pool';
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
type BatchTimings = Omit<BatchEvent, 'size'>;
interface BatchResult {
  faces: Face[];
  /** With queueMs where the detector knows it better than the batcher (staged images). */
  timings: BatchTimings & { queueMs?: number };
}
/** A batch's own state: the input tensor its images are letterboxed into (CPU path at a fixed input size). */
interface BatchContext {
  tensor?: Float32Array;
}
/** An image with its slot in a batch: letterboxed into the batch's tensor, where that applies. */
interface StagedImage {
  pixels: RawPixels;
  letterbox?: Letterbox;
  preprocessMs: number;
  stagedAt: number;
}

/** The letterbox of an image that fills the canvas exactly (used for blank slots). */
function identityLetterbox(canvas: Canvas): Letterbox {
  return {
    sourceWidth: canvas.width, sourceHeight: canvas.height, inputWidth: canvas.width, inputHeight: canvas.height,
    resizedWidth: canvas.width, resizedHeight: canvas.height, scale: 1,
  };
}

export class Detector {
  private closed = false;
  /** The one close() in progress: every close() call waits for it. */
  private closing: Promise<void> | undefined;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly postprocessOptions: PostprocessOptions;
  private readonly batcher: Batcher<RawPixels, BatchResult, StagedImage, BatchContext>;
  private readonly batchListeners = new Set<(event: BatchEvent) => void>();
  /** Inference is serialised (it uses every core); preprocessing of the next batch overlaps it. */
  private inferenceTail: Promise<unknown> = Promise.resolve();
  private readonly tensors: TensorPool;
  private readonly budget: PixelBudget;
  private readonly limits: ImageLimits;
  private readonly counters = { completed: 0, batches: 0, images: 0, failed: {} as Partial<Record<ErrorCode, number>> };

  private constructor(
    private readonly backend: InferenceBackend | PixelBackend,
    /** Which backend runs this detector, and why. */
    readonly backendInfo: BackendInfo,
    /** The model file in use. */
    readonly modelPath: string,
    /** Network input size, or 'original' (every image at its own size). */
    readonly inputSize: Canvas | 'original',
    private readonly options: ResolvedOptions,
  ) {
    this.postprocessOptions = {
      scoreThreshold: options.scoreThreshold,
      nmsThreshold: options.nmsThreshold,
      preNmsTopK: options.preNmsTopK,
      maxFaces: options.maxFaces,
      clip: options.clip,
    };
    const maxBatch = Math.min(options.maxBatch, isPixelBackend(backend) ? backend.maxBatch : backend.shape.fixedBatch ?? Infinity);
    this.limits = {
      maxPixels: options.maxPixels,
      minSide: options.minSide,
      failOn: options.failOn,
      ...(inputSize === 'original' ? { maxOriginalPixels: options.maxOriginalPixels } : {}),
    };
    this.budget = new PixelBudget(options.maxInflightPixels);
    // Room for the batch tensors of a fixed input size (one per batch holding a context); original-size tensors
    // beyond the default are not kept.
    const batchTensorBytes = inputSize === 'original' ? 0
      : 4 * 3 * inputSize.width * inputSize.height * Math.max(maxBatch, isPixelBackend(backend) ? 0 : backend.shape.fixedBatch ?? 0);
    this.tensors = new TensorPool({ keepBytes: Math.max(256 * 1024 * 1024, (CONCURRENT_BATCHES + 1) * batchTensorBytes) });
    this.batcher = new Batcher<RawPixels, BatchResult, StagedImage, BatchContext>(
      { maxBatch, maxDelayMs: options.maxDelayMs, maxQueue: options.maxQueue, maxConcurrentBatches: CONCURRENT_BATCHES },
      this.stagesFor(backend, inputSize, maxBatch),
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
      const inputSize = Detector.chooseInputSize(resolved, backend);
      // The TensorRT engine build has checked the model already.
      if (!isPixelBackend(backend)) await Detector.probe(backend, modelPath);
      return new Detector(backend, info, modelPath, inputSize, resolved);
    } catch (error) {
      await backend.close();
      throw error;
    }
  }

  /**
   * Runs the model once on a blank input and checks that its outputs fit RetinaFace's anchors, so a wrong model
   * fails at load with MODEL_INVALID instead of failing every detect().
   */
  private static async probe(backend: InferenceBackend, modelPath: string): Promise<void> {
    const { width, height } = backend.shape.fixedSize ?? { width: 64, height: 64 };
    const batch = backend.shape.fixedBatch ?? 1;
    const outputs = await backend.run(new Float32Array(batch * 3 * width * height), batch, height, width).catch((error) => {
      throw new RetinaFaceError('MODEL_INVALID', `${modelPath} fails on a blank ${batch}x3x${height}x${width} input: ${
        (error as Error).message}`, { cause: error });
    });
    const letterbox = identityLetterbox({ width, height });
    try {
      binding().postprocess(outputs, new Array<Letterbox>(batch).fill(letterbox), {
        scoreThreshold: 1, nmsThreshold: 0.4, preNmsTopK: 0, maxFaces: 0, clip: false,
      });
    } catch (error) {
      throw new RetinaFaceError('MODEL_INVALID', `${modelPath} is not a RetinaFace model with the standard anchors: ${
        (error as Error).message}`, { cause: error });
    }
  }

  /** A fixed-size model dictates the input size; asking for another one is an error, not a silent change. */
  private static chooseInputSize(options: ResolvedOptions, backend: InferenceBackend | PixelBackend): Detector['inputSize'] {
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
    if (typeof options !== 'object' || options === null) throw new RetinaFaceError('INVALID_ARGUMENT', 'options must be an object');
    const { size, ...callOptions } = options;
    const cropSize = resolveAlignSize(size);
    resolveCallOptions(callOptions, this.options); // bad call options fail before the decode, as in detect()
    this.assertOpen();
    // Decoded here with detect()'s checks; detect() then takes the pixels as raw input (copied, not decoded again).
    const pixels = await decodeImage(input, this.limits);
    const faces = await this.detect(pixels, callOptions);
    const crops = await alignDecoded(pixels, faces.map((face) => face.landmarks), cropSize);
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
      this.tensors.clear();
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
  private async detectOne(input: ImageInput, options: DetectCallOptions | undefined, lent = false): Promise<{ faces: Face[]; timings: CallTimings }> {
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
      fast = this.options.decode === 'fast' && this.inputSize !== 'original' && captured.kind !== 'sharp'
        ? planFastDecode(header, this.inputSize) : undefined;
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
        timings: { decodeMs, ...value.timings, queueMs: value.timings.queueMs ?? queueMs, totalMs: performance.now() - start, batchSize },
      };
    } finally {
      releaseBudget();
    }
  }

  /**
   * How the batcher runs this detector's batches. With a fixed network input on the CPU path, each image is
   * letterboxed into its slot of the batch's tensor as soon as it joins the batch, while the previous batch is
   * still in inference; the batch then starts the moment the engine is free. Otherwise there is nothing to
   * prepare ahead: the GPU takes pixels, and original-size images each need a tensor of their own size.
   */
  private stagesFor(backend: InferenceBackend | PixelBackend, inputSize: Canvas | 'original', maxBatch: number):
    BatchStages<RawPixels, StagedImage, BatchResult, BatchContext> {
    if (isPixelBackend(backend) || inputSize === 'original') {
      return {
        open: () => ({}),
        stage: (pixels) => Promise.resolve({ pixels, preprocessMs: 0, stagedAt: performance.now() }),
        run: (slots) => this.runUnstaged(slots),
        close: () => undefined,
      };
    }
    const canvas = inputSize;
    const perImage = 3 * canvas.width * canvas.height;
    const capacity = Math.max(maxBatch, backend.shape.fixedBatch ?? 0);
    return {
      open: () => ({ tensor: this.tensors.acquire(capacity * perImage) }),
      stage: async (pixels, context, slot) => {
        const t0 = performance.now();
        const [letterbox] = await preprocess(pixels, canvas, context.tensor!.subarray(slot * perImage, (slot + 1) * perImage));
        const stagedAt = performance.now();
        return { pixels, letterbox, preprocessMs: stagedAt - t0, stagedAt };
      },
      run: (slots, context) => this.runStaged(backend, slots, canvas, context.tensor!),
      close: (context) => this.tensors.release(context.tensor!),
    };
  }

  /** A batch whose images are already letterboxed into `tensor`, slot by slot: inference, then decode + NMS. */
  private async runStaged(backend: InferenceBackend, slots: ReadonlyArray<StagedImage | undefined>, canvas: Canvas,
    tensor: Float32Array): Promise<Array<BatchResult | undefined>> {
    const perImage = 3 * canvas.width * canvas.height;
    // A fixed-batch model runs full batches; slots of calls that left hold stale pixels. Blank both (mean colour):
    // their outputs are ignored, and a blank input keeps their decode + NMS cheap.
    const runSize = Math.max(slots.length, backend.shape.fixedBatch ?? 0);
    slots.forEach((slot, i) => slot === undefined && tensor.fill(0, i * perImage, (i + 1) * perImage));
    if (runSize > slots.length) tensor.fill(0, slots.length * perImage, runSize * perImage);
    const blank = identityLetterbox(canvas);
    const letterboxes = slots.map((slot) => slot?.letterbox ?? blank);
    const live = slots.filter((slot) => slot !== undefined).length;
    const { faces, inferenceStart, inferenceMs, postprocessMs } = await this.inferAndDecode(backend, tensor, runSize, canvas,
      letterboxes, live);
    const preprocessMs = slots.reduce((sum, slot) => sum + (slot?.preprocessMs ?? 0), 0);
    this.notifyBatch(live, { preprocessMs, inferenceMs, postprocessMs });
    return slots.map((slot, i) => slot && {
      faces: faces[i]!,
      // Its own letterboxing; its wait runs from then until its batch reached the engine.
      timings: { preprocessMs: slot.preprocessMs, queueMs: Math.max(0, inferenceStart - slot.stagedAt), inferenceMs, postprocessMs },
    });
  }

  /** Batches with nothing staged ahead: the GPU path, and original-size images (one inference per image). */
  private runUnstaged(slots: ReadonlyArray<StagedImage | undefined>): Promise<Array<BatchResult | undefined>> {
    return runLiveSlots(slots, async (staged) => {
      const images = staged.map((s) => s.pixels);
      const backend = this.backend;
      if (isPixelBackend(backend)) return this.runPixelBatch(backend, images, this.inputSize === 'original' ? null : this.inputSize);
      const results: BatchResult[] = [];
      for (const image of images) results.push(...(await this.runOriginalSize(backend, image)));
      return results;
    });
  }

  /** One image at its own size: preprocess -> inference -> decode + NMS. */
  private async runOriginalSize(backend: InferenceBackend, image: RawPixels): Promise<BatchResult[]> {
    const canvas = { width: image.width, height: image.height };
    const t0 = performance.now();
    const tensor = this.tensors.acquire(3 * image.width * image.height);
    try {
      const letterboxes = await preprocess(image, null, tensor);
      const preprocessMs = performance.now() - t0;
      const { faces, inferenceMs, postprocessMs } = await this.inferAndDecode(backend, tensor, 1, canvas, letterboxes, 1);
      const timings: BatchTimings = { preprocessMs, inferenceMs, postprocessMs };
      this.notifyBatch(1, timings);
      return [{ faces: faces[0]!, timings }];
    } finally {
      this.tensors.release(tensor);
    }
  }

  /**
   * Inference on `runSize` images of `tensor` (serialised with other batches: it uses every core), then decode + NMS
   * of the first `letterboxes.length`. `live` counts the images that belong to callers.
   */
  private async inferAndDecode(backend: InferenceBackend, tensor: Float32Array, runSize: number, canvas: Canvas,
    letterboxes: Letterbox[], live: number) {
    this.counters.batches++;
    this.counters.images += live;
    let inferenceStart = performance.now();
    const inference = this.inferenceTail.then(() => {
      inferenceStart = performance.now(); // not counting the wait for the previous batch's inference
      return backend.run(tensor, runSize, canvas.height, canvas.width);
    });
    this.inferenceTail = inference.catch(() => undefined);
    const outputs = await inference;
    const t2 = performance.now();
    let faces: Face[][];
    try {
      const flat = binding().postprocess(trimOutputs(outputs, letterboxes.length, runSize), letterboxes, this.postprocessOptions);
      faces = unpackFaces(flat.faces, flat.counts);
    } catch (error) {
      throw toRetinaFaceError(error, 'NATIVE_ERROR', `post-processing the outputs of ${this.modelPath} failed`);
    }
    return { faces, inferenceStart, inferenceMs: t2 - inferenceStart, postprocessMs: performance.now() - t2 };
  }

  /** The TensorRT path: pixels in, faces out; preprocessing, inference and decode + NMS all run on the GPU. */
  private async runPixelBatch(backend: PixelBackend, images: RawPixels[], canvas: Canvas | null): Promise<BatchResult[]> {
    const t0 = performance.now();
    this.counters.batches++;
    this.counters.images += images.length;
    const flat = await backend.detect(images, canvas, this.postprocessOptions);
    const timings: BatchTimings = { preprocessMs: 0, inferenceMs: performance.now() - t0, postprocessMs: 0 };
    this.notifyBatch(images.length, timings);
    return unpackFaces(flat.faces, flat.counts).map((faces) => ({ faces, timings }));
  }

  private notifyBatch(size: number, timings: BatchTimings): void {
    for (const listener of this.batchListeners) {
      try {
        listener({ size, ...timings });
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

/** Letterboxes one image into `out` (a null canvas: at its own size). */
async function preprocess(image: RawPixels, canvas: Canvas | null, out: Float32Array): Promise<Letterbox[]> {
  try {
    return await binding().preprocess([image], canvas, out);
  } catch (error) {
    throw toRetinaFaceError(error, 'NATIVE_ERROR', 'preprocessing failed');
  }
}

function trimOutputs(outputs: RawOutputs, used: number, total: number): RawOutputs {
  if (used === total) return outputs;
  const part = (a: Float32Array) => a.subarray(0, (a.length / total) * used);
  return { loc: part(outputs.loc), conf: part(outputs.conf), landms: part(outputs.landms) };
}
