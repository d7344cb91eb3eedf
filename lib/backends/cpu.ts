/** CPU backend: onnxruntime-node runs the ONNX; works on any machine. */
import fs from 'node:fs';
import * as ort from 'onnxruntime-node';
import type { RawOutputs } from '../binding';
import { RetinaFaceError, toRetinaFaceError } from '../errors';
import type { InferenceBackend, ModelShape } from './backend';

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

export class CpuBackend implements InferenceBackend {
  readonly name = 'cpu' as const;
  private closed = false;

  private constructor(
    private readonly session: ort.InferenceSession,
    private readonly inputName: string,
    private readonly heads: Record<Head, string>,
    readonly shape: ModelShape,
  ) {}

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
      throw new RetinaFaceError('MODEL_INVALID', `${path} could not be loaded as an ONNX model: ${(error as Error).message}`, {
        cause: error,
      });
    }
    try {
      const inputs = session.inputMetadata;
      const input = inputs[0];
      if (inputs.length !== 1 || !input?.isTensor || input.type !== 'float32' || input.shape.length !== 4 ||
          (typeof input.shape[1] === 'number' && input.shape[1] !== 3)) {
        throw invalidModel(path, `its inputs are ${describe(inputs)}`);
      }
      const heads = mapHeads(path, session.outputMetadata);
      const [batch, , height, width] = input.shape;
      const shape: ModelShape = {};
      if (typeof height === 'number' && typeof width === 'number') shape.fixedSize = { width, height };
      if (typeof batch === 'number') shape.fixedBatch = batch;
      return new CpuBackend(session, input.name, heads, shape);
    } catch (error) {
      await session.release();
      throw error;
    }
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
  }
}
