/**
 * How the CPU backend runs a batch: native preprocess (letterbox + normalisation) -> onnxruntime -> native decode +
 * NMS. With a fixed network input, each image is letterboxed into its slot of the batch's tensor as soon as it joins
 * the batch, while the previous batch is still in inference; the batch then starts the moment the engine is free.
 * Original-size images each need a tensor of their own size: nothing is prepared ahead, and each runs alone.
 */
import { type BatchStages, plainStages } from '../batcher';
import { binding, type Letterbox, type RawOutputs, type RawPixels } from '../binding';
import { toRetinaFaceError } from '../errors';
import { type Face, unpackFaces } from '../faces';
import { TensorPool } from '../tensor-pool';
import type { BatchPlan, ImageFaces } from './backend';

type Canvas = { width: number; height: number };
type RunTimings = ImageFaces['timings'];

/** The network: one float32 NCHW batch in, RetinaFace's three heads out. */
export interface TensorEngine {
  /** Runs the network on `input` = batch x 3 x height x width. */
  run(input: Float32Array, batch: number, height: number, width: number): Promise<RawOutputs>;
}

/** An image letterboxed into its slot of the batch's tensor. */
interface StagedImage {
  letterbox: Letterbox | undefined;
  preprocessMs: number;
  stagedAt: number;
}

/** The letterbox of an image that fills the canvas exactly (used for blank slots). */
export function identityLetterbox(canvas: Canvas): Letterbox {
  return {
    sourceWidth: canvas.width,
    sourceHeight: canvas.height,
    inputWidth: canvas.width,
    inputHeight: canvas.height,
    resizedWidth: canvas.width,
    resizedHeight: canvas.height,
    scale: 1,
  };
}

export class CpuBatches {
  /** Inference is serialised (it uses every core); preprocessing of the next batch overlaps it. */
  private inferenceTail: Promise<unknown> = Promise.resolve();
  private readonly tensors: TensorPool;

  constructor(
    private readonly engine: TensorEngine,
    /** The model's fixed batch: it runs full batches. */
    private readonly fixedBatch: number | undefined,
    /** For error messages. */
    private readonly modelPath: string,
    private readonly plan: BatchPlan,
  ) {
    // Room for the batch tensors of a fixed input size (one per batch holding a context); original-size tensors
    // beyond the default are not kept.
    const { inputSize } = plan;
    const batchTensorBytes =
      inputSize === 'original'
        ? 0
        : 4 * 3 * inputSize.width * inputSize.height * Math.max(plan.maxBatch, fixedBatch ?? 0);
    this.tensors = new TensorPool({
      keepBytes: Math.max(256 * 1024 * 1024, (plan.concurrentBatches + 1) * batchTensorBytes),
    });
  }

  stages(): BatchStages<RawPixels, unknown, ImageFaces, unknown> {
    const { inputSize } = this.plan;
    return inputSize === 'original' ? this.originalSizeStages() : this.letterboxedStages(inputSize);
  }

  /** Drops the tensors kept for reuse. */
  clear(): void {
    this.tensors.clear();
  }

  private letterboxedStages(canvas: Canvas): BatchStages<RawPixels, StagedImage, ImageFaces, Float32Array> {
    const perImage = 3 * canvas.width * canvas.height;
    const capacity = Math.max(this.plan.maxBatch, this.fixedBatch ?? 0);
    return {
      open: () => this.tensors.acquire(capacity * perImage),
      stage: async (pixels, tensor, slot) => {
        const t0 = performance.now();
        const [letterbox] = await preprocess(pixels, canvas, tensor.subarray(slot * perImage, (slot + 1) * perImage));
        const stagedAt = performance.now();
        return { letterbox, preprocessMs: stagedAt - t0, stagedAt };
      },
      run: (slots, tensor) => this.runStaged(slots, canvas, tensor),
      close: (tensor) => this.tensors.release(tensor),
    };
  }

  private originalSizeStages(): BatchStages<RawPixels, RawPixels, ImageFaces, undefined> {
    return plainStages(async (images) => {
      const results: ImageFaces[] = [];
      for (const image of images) results.push(await this.runOriginalSize(image));
      return results;
    });
  }

  /** A batch whose images are already letterboxed into `tensor`, slot by slot: inference, then decode + NMS. */
  private async runStaged(
    slots: ReadonlyArray<StagedImage | undefined>,
    canvas: Canvas,
    tensor: Float32Array,
  ): Promise<Array<ImageFaces | undefined>> {
    const perImage = 3 * canvas.width * canvas.height;
    // A fixed-batch model runs full batches; slots of calls that left hold stale pixels. Blank both (mean colour):
    // their outputs are ignored, and a blank input keeps their decode + NMS cheap.
    const runSize = Math.max(slots.length, this.fixedBatch ?? 0);
    slots.forEach((slot, i) => slot === undefined && tensor.fill(0, i * perImage, (i + 1) * perImage));
    if (runSize > slots.length) tensor.fill(0, slots.length * perImage, runSize * perImage);
    const blank = identityLetterbox(canvas);
    const letterboxes = slots.map((slot) => slot?.letterbox ?? blank);
    const live = slots.filter((slot) => slot !== undefined).length;
    const { faces, inferenceStart, inferenceMs, postprocessMs } = await this.inferAndDecode(
      tensor,
      runSize,
      canvas,
      letterboxes,
      live,
    );
    const preprocessMs = slots.reduce((sum, slot) => sum + (slot?.preprocessMs ?? 0), 0);
    this.plan.observer.runFinished({ size: live, preprocessMs, inferenceMs, postprocessMs });
    return slots.map(
      (slot, i) =>
        slot && {
          faces: faces[i]!,
          // Its own letterboxing; its wait runs from then until its batch reached the engine.
          timings: {
            preprocessMs: slot.preprocessMs,
            queueMs: Math.max(0, inferenceStart - slot.stagedAt),
            inferenceMs,
            postprocessMs,
          },
        },
    );
  }

  /** One image at its own size: preprocess -> inference -> decode + NMS. */
  private async runOriginalSize(image: RawPixels): Promise<ImageFaces> {
    const canvas = { width: image.width, height: image.height };
    const t0 = performance.now();
    const tensor = this.tensors.acquire(3 * image.width * image.height);
    try {
      const letterboxes = await preprocess(image, null, tensor);
      const preprocessMs = performance.now() - t0;
      const { faces, inferenceMs, postprocessMs } = await this.inferAndDecode(tensor, 1, canvas, letterboxes, 1);
      const timings: RunTimings = { preprocessMs, inferenceMs, postprocessMs };
      this.plan.observer.runFinished({ size: 1, ...timings });
      return { faces: faces[0]!, timings };
    } finally {
      this.tensors.release(tensor);
    }
  }

  /**
   * Inference on `runSize` images of `tensor` (serialised with other batches: it uses every core), then decode + NMS
   * of the first `letterboxes.length`. `live` counts the images that belong to callers.
   */
  private async inferAndDecode(
    tensor: Float32Array,
    runSize: number,
    canvas: Canvas,
    letterboxes: Letterbox[],
    live: number,
  ) {
    this.plan.observer.runStarted(live);
    let inferenceStart = performance.now();
    const inference = this.inferenceTail.then(() => {
      inferenceStart = performance.now(); // not counting the wait for the previous batch's inference
      return this.engine.run(tensor, runSize, canvas.height, canvas.width);
    });
    this.inferenceTail = inference.catch(() => undefined);
    const outputs = await inference;
    const t2 = performance.now();
    let faces: Face[][];
    try {
      const flat = binding().postprocess(
        trimOutputs(outputs, letterboxes.length, runSize),
        letterboxes,
        this.plan.postprocess,
      );
      faces = unpackFaces(flat.faces, flat.counts);
    } catch (error) {
      throw toRetinaFaceError(error, 'NATIVE_ERROR', `post-processing the outputs of ${this.modelPath} failed`);
    }
    return { faces, inferenceStart, inferenceMs: t2 - inferenceStart, postprocessMs: performance.now() - t2 };
  }
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
