/**
 * CPU backend: onnxruntime-node runs the ONNX; works on any machine. Pixels become the network input in the addon
 * (letterbox), and its outputs faces there too (decode + NMS): lib/backends/cpu-batches.ts.
 */
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { BatchStages } from '../batcher';
import { binding, type Letterbox, type RawOutputs, type RawPixels } from '../binding';
import { RetinaFaceError, toRetinaFaceError } from '../errors';
import type { BatchPlan, DetectionBackend, ImageFaces, ModelShape } from './backend';
import { CpuBatches, identityLetterbox, type TensorEngine } from './cpu-batches';

type Head = 'loc' | 'conf' | 'landms';
const HEAD_BY_LAST_DIM: Record<number, Head> = { 4: 'loc', 2: 'conf', 10: 'landms' };
const EXPECTED =
  'a RetinaFace ONNX with one float32 input [batch, 3, height, width] and three float32 outputs ' +
  '[batch, priors, 4] (loc), [batch, priors, 2] (conf, softmaxed) and [batch, priors, 10] (landms)';

function describe(metadata: readonly ort.InferenceSession.ValueMetadata[]): string {
  return metadata
    .map((m) => `${m.name}${m.isTensor ? `: ${m.type} [${m.shape.join(', ')}]` : ' (not a tensor)'}`)
    .join('; ');
}

function invalidModel(path: string, detail: string): RetinaFaceError {
  return new RetinaFaceError('MODEL_INVALID', `${path} is not usable: ${detail}. Expected ${EXPECTED}`);
}

/** Maps output names to heads by the size of their last dimension (names differ between exports). */
function mapHeads(path: string, outputs: readonly ort.InferenceSession.ValueMetadata[]): Record<Head, string> {
  const heads: Partial<Record<Head, string>> = {};
  for (const output of outputs) {
    const last = output.isTensor ? output.shape[output.shape.length - 1] : undefined;
    const head = typeof last === 'number' ? HEAD_BY_LAST_DIM[last] : undefined;
    if (!output.isTensor || output.type !== 'float32' || output.shape.length !== 3 || !head || heads[head]) {
      throw invalidModel(path, `its outputs are ${describe(outputs)}`);
    }
    heads[head] = output.name;
  }
  if (outputs.length !== 3 || !heads.loc || !heads.conf || !heads.landms) {
    throw invalidModel(path, `its outputs are ${describe(outputs)}`);
  }
  return heads as Record<Head, string>;
}

export class CpuBackend implements DetectionBackend, TensorEngine {
  readonly name = 'cpu' as const;
  readonly maxBatch: number;
  private closed = false;
  private batches: CpuBatches | undefined;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly heads: Record<Head, string>,
    readonly shape: ModelShape,
    /** The model file, for error messages. */
    private readonly modelPath: string,
  ) {
    this.maxBatch = shape.fixedBatch ?? Infinity;
  }

  /** Opens the model and proves it on a blank input (MODEL_INVALID for anything but a RetinaFace ONNX). */
  static async load(path: string, options: { threads?: number } = {}): Promise<CpuBackend> {
    if (!fs.existsSync(path)) throw new RetinaFaceError('MODEL_NOT_FOUND', `no model file at '${path}'`);
    let session: ort.InferenceSession;
    try {
      session = await ort.InferenceSession.create(path, {
        graphOptimizationLevel: 'all',
        executionMode: 'sequential',
        ...(options.threads ? { intraOpNumThreads: options.threads, interOpNumThreads: 1 } : {}),
      });
    } catch (error) {
      throw new RetinaFaceError(
        'MODEL_INVALID',
        `${path} could not be loaded as an ONNX model: ${(error as Error).message}`,
        {
          cause: error,
        },
      );
    }
    try {
      const inputs = session.inputMetadata;
      const input = inputs[0];
      if (
        inputs.length !== 1 ||
        !input?.isTensor ||
        input.type !== 'float32' ||
        input.shape.length !== 4 ||
        (typeof input.shape[1] === 'number' && input.shape[1] !== 3)
      ) {
        throw invalidModel(path, `its inputs are ${describe(inputs)}`);
      }
      const heads = mapHeads(path, session.outputMetadata);
      const [batch, , height, width] = input.shape;
      const shape: ModelShape = {};
      if (typeof height === 'number' && typeof width === 'number') shape.fixedSize = { width, height };
      if (typeof batch === 'number') shape.fixedBatch = batch;
      const backend = new CpuBackend(session, input.name, heads, shape, path);
      await backend.probe();
      return backend;
    } catch (error) {
      await session.release();
      throw error;
    }
  }

  /**
   * Runs the model once on a blank input and checks that its outputs fit RetinaFace's anchors, so a wrong model
   * fails at load with MODEL_INVALID instead of failing every detect().
   */
  private async probe(): Promise<void> {
    const { width, height } = this.shape.fixedSize ?? { width: 64, height: 64 };
    const batch = this.shape.fixedBatch ?? 1;
    const outputs = await this.run(new Float32Array(batch * 3 * width * height), batch, height, width).catch(
      (error) => {
        throw new RetinaFaceError(
          'MODEL_INVALID',
          `${this.modelPath} fails on a blank ${batch}x3x${height}x${width} input: ${(error as Error).message}`,
          { cause: error },
        );
      },
    );
    const letterbox = identityLetterbox({ width, height });
    try {
      binding().postprocess(outputs, new Array<Letterbox>(batch).fill(letterbox), {
        scoreThreshold: 1,
        nmsThreshold: 0.4,
        preNmsTopK: 0,
        maxFaces: 0,
        clip: false,
      });
    } catch (error) {
      throw new RetinaFaceError(
        'MODEL_INVALID',
        `${this.modelPath} is not a RetinaFace model with the standard anchors: ${(error as Error).message}`,
        { cause: error },
      );
    }
  }

  batchStages(plan: BatchPlan): BatchStages<RawPixels, unknown, ImageFaces, unknown> {
    this.batches = new CpuBatches(this, this.shape.fixedBatch, this.modelPath, plan);
    return this.batches.stages();
  }

  async run(input: Float32Array, batch: number, height: number, width: number): Promise<RawOutputs> {
    if (this.closed) throw new RetinaFaceError('DETECTOR_CLOSED', 'the CPU backend was closed');
    const tensor = new ort.Tensor('float32', input.subarray(0, batch * 3 * height * width), [batch, 3, height, width]);
    let results: ort.InferenceSession.OnnxValueMapType;
    try {
      results = await this.session.run({ [this.inputName]: tensor });
    } catch (error) {
      throw toRetinaFaceError(error, 'INFERENCE_FAILED', `onnxruntime failed on a ${batch}x3x${height}x${width} input`);
    }
    const data = (head: Head): Float32Array => results[this.heads[head]]!.data as Float32Array;
    return { loc: data('loc'), conf: data('conf'), landms: data('landms') };
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.session.release();
    this.batches?.clear();
  }
}
