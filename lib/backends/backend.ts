/** What the detector needs from an inference runtime: one float32 NCHW batch in, RetinaFace's three heads out. */
import type { RawOutputs } from '../binding';

export interface ModelShape {
  /** Fixed input size of the model, or undefined when height and width are dynamic. */
  fixedSize?: { width: number; height: number };
  /** Fixed batch size of the model, or undefined when the batch is dynamic. */
  fixedBatch?: number;
}

export interface InferenceBackend {
  readonly name: 'cpu' | 'tensorrt';
  readonly shape: ModelShape;
  /** Runs the network on `input` = batch x 3 x height x width. */
  run(input: Float32Array, batch: number, height: number, width: number): Promise<RawOutputs>;
  /** Frees the runtime's resources; no run() may follow. */
  close(): Promise<void>;
}

/** Which backend a detector runs on, and why that one. */
export interface BackendInfo {
  name: 'cpu' | 'tensorrt';
  requested: 'auto' | 'cpu' | 'tensorrt';
  /** Human-readable reason for the choice, e.g. why TensorRT was not used. */
  reason: string;
}
