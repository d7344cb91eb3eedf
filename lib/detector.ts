/** The public detector: image in, faces out, on whichever backend fits the machine. */
import type { BackendInfo, InferenceBackend } from './backends/backend';
import { createBackend } from './backends/select';
import { binding, type Letterbox, type PostprocessOptions, type RawOutputs, type RawPixels } from './binding';
import { RetinaFaceError, toRetinaFaceError } from './errors';
import { type Face, unpackFaces } from './faces';
import { decodeImage, type ImageInput } from './image';
import { resolveModelPath } from './models/resolve';
import { type DetectorOptions, type ResolvedOptions, resolveOptions } from './options';

export class Detector {
  private closed = false;
  private readonly inFlight = new Set<Promise<unknown>>();
  private readonly postprocessOptions: PostprocessOptions;

  private constructor(
    private readonly backend: InferenceBackend,
    /** Which backend runs this detector, and why. */
    readonly backendInfo: BackendInfo,
    /** The model file in use. */
    readonly modelPath: string,
    /** Network input size, or 'original' (every image at its own size). */
    readonly inputSize: { width: number; height: number } | 'original',
    private readonly options: ResolvedOptions,
  ) {
    this.postprocessOptions = {
      scoreThreshold: options.scoreThreshold,
      nmsThreshold: options.nmsThreshold,
      preNmsTopK: options.preNmsTopK,
      maxFaces: options.maxFaces,
      clip: options.clip,
    };
  }

  static async create(options: DetectorOptions = {}): Promise<Detector> {
    const resolved = resolveOptions(options);
    const modelPath = resolveModelPath(resolved.model);
    const { backend, info } = await createBackend(resolved.backend, modelPath, { cpuThreads: resolved.cpuThreads });
    try {
      const inputSize = Detector.chooseInputSize(resolved, backend);
      await Detector.probe(backend, modelPath);
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
    const letterbox: Letterbox = {
      sourceWidth: width, sourceHeight: height, inputWidth: width, inputHeight: height,
      resizedWidth: width, resizedHeight: height, scale: 1,
    };
    try {
      await binding().postprocess(outputs, new Array<Letterbox>(batch).fill(letterbox), {
        scoreThreshold: 1, nmsThreshold: 0.4, preNmsTopK: 0, maxFaces: 0, clip: false,
      });
    } catch (error) {
      throw new RetinaFaceError('MODEL_INVALID', `${modelPath} is not a RetinaFace model with the standard anchors: ${
        (error as Error).message}`, { cause: error });
    }
  }

  /** A fixed-size model dictates the input size; asking for another one is an error, not a silent change. */
  private static chooseInputSize(options: ResolvedOptions, backend: InferenceBackend): Detector['inputSize'] {
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

  /** Detects the faces of one image; coordinates are in the original image's pixels. */
  async detect(input: ImageInput): Promise<Face[]> {
    const [faces] = await this.track(async () => this.detectPixels([await this.decode(input)]));
    return faces!;
  }

  /** Detects faces in several images, batched per inference where the model allows; results in input order. */
  async detectBatch(inputs: readonly ImageInput[]): Promise<Face[][]> {
    if (!Array.isArray(inputs)) throw new RetinaFaceError('INVALID_ARGUMENT', 'detectBatch takes an array of images');
    if (inputs.length === 0) return [];
    return this.track(async () => {
      const images = await Promise.all(
        inputs.map((input, i) =>
          this.decode(input).catch((error: RetinaFaceError) => {
            throw new RetinaFaceError(error.code, `image ${i}: ${error.message}`, { cause: error });
          }),
        ),
      );
      return this.detectPixels(images);
    });
  }

  /** Waits for calls in flight, then frees the backend. Later calls reject with DETECTOR_CLOSED. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.allSettled([...this.inFlight]);
    await this.backend.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private async track<T>(work: () => Promise<T>): Promise<T> {
    if (this.closed) throw new RetinaFaceError('DETECTOR_CLOSED', 'the detector was closed');
    const promise = work();
    this.inFlight.add(promise);
    try {
      return await promise;
    } finally {
      this.inFlight.delete(promise);
    }
  }

  private decode(input: ImageInput): Promise<RawPixels> {
    return decodeImage(input, { maxPixels: this.options.maxPixels, minSide: this.options.minSide });
  }

  private async detectPixels(images: RawPixels[]): Promise<Face[][]> {
    const results: Face[][] = [];
    if (this.inputSize === 'original') {
      for (const image of images) results.push(...(await this.runBatch([image], null)));
      return results;
    }
    const batchSize = this.backend.shape.fixedBatch ?? this.options.maxBatch;
    for (let start = 0; start < images.length; start += batchSize) {
      results.push(...(await this.runBatch(images.slice(start, start + batchSize), this.inputSize)));
    }
    return results;
  }

  /** preprocess -> inference -> decode + NMS for images that share one network input size. */
  private async runBatch(images: RawPixels[], canvas: { width: number; height: number } | null): Promise<Face[][]> {
    const native = binding();
    const width = canvas?.width ?? images[0]!.width;
    const height = canvas?.height ?? images[0]!.height;
    // A fixed-batch model runs full batches: the unused tail stays zero (mean colour) and its outputs are ignored.
    const runBatch = Math.max(images.length, this.backend.shape.fixedBatch ?? 0);
    const perImage = 3 * width * height;
    const tensor = new Float32Array(runBatch * perImage);
    let letterboxes: Letterbox[];
    try {
      letterboxes = await native.preprocess(images, canvas, tensor);
    } catch (error) {
      throw toRetinaFaceError(error, 'NATIVE_ERROR', 'preprocessing failed');
    }
    const outputs = await this.backend.run(tensor, runBatch, height, width);
    const used = trimOutputs(outputs, images.length, runBatch);
    try {
      const { faces, counts } = await native.postprocess(used, letterboxes, this.postprocessOptions);
      return unpackFaces(faces, counts);
    } catch (error) {
      throw toRetinaFaceError(error, 'NATIVE_ERROR', `post-processing the outputs of ${this.modelPath} failed`);
    }
  }
}

function trimOutputs(outputs: RawOutputs, used: number, total: number): RawOutputs {
  if (used === total) return outputs;
  const part = (a: Float32Array) => a.subarray(0, (a.length / total) * used);
  return { loc: part(outputs.loc), conf: part(outputs.conf), landms: part(outputs.landms) };
}
