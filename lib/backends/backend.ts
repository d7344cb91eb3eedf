/**
 * The one contract between the detector and an inference runtime: decoded pixels in, faces out. Each backend turns
 * pixels into its network input, runs the network and decodes + suppresses the outputs in its own way (the CPU
 * backend letterboxes in the addon and runs onnxruntime; TensorRT does all of it on the GPU); the detector only
 * hands its batcher the stages the backend gives it.
 */
import type { BatchStages } from '../batcher';
import type { PostprocessOptions, RawPixels } from '../binding';
import type { Face } from '../faces';
import type { BatchEvent } from '../stats';

type Size = { width: number; height: number };

export interface ModelShape {
  /** Fixed input size of the model, or undefined when height and width are dynamic. */
  fixedSize?: Size;
  /** Fixed batch size of the model, or undefined when the batch is dynamic. */
  fixedBatch?: number;
}

/** Told of every network run: its start (counted even if the run then fails), then its timings once it succeeded. */
export interface RunObserver {
  runStarted(images: number): void;
  runFinished(event: BatchEvent): void;
}

/** How the detector batches: what every batch the backend's stages run shares. */
export interface BatchPlan {
  /** The network input every image is letterboxed into, or 'original' (each image at its own size). */
  inputSize: Size | 'original';
  /** Images a batch holds at most (within the backend's maxBatch). */
  maxBatch: number;
  /** Batches the batcher runs at once; it holds a context for one more, forming. */
  concurrentBatches: number;
  postprocess: PostprocessOptions;
  observer: RunObserver;
}

/** One image's faces (original-image pixels), and the timings of the batch it ran in. */
export interface ImageFaces {
  faces: Face[];
  /** With queueMs where the backend knows it better than the batcher (images staged ahead of their batch). */
  timings: Omit<BatchEvent, 'size'> & { queueMs?: number };
}

export interface DetectionBackend {
  readonly name: 'cpu' | 'tensorrt';
  readonly shape: ModelShape;
  /** Largest batch the backend runs at once (Infinity where the model does not bound it). */
  readonly maxBatch: number;
  /**
   * The stages the detector's batcher drives: pixels -> network input -> network -> decode + NMS -> faces. Called
   * once, by the detector that owns the backend.
   */
  batchStages(plan: BatchPlan): BatchStages<RawPixels, unknown, ImageFaces, unknown>;
  /** Frees the runtime's resources (TensorRT: once its batches in flight end); no batch may follow. */
  close(): Promise<void>;
}

/** Which backend a detector runs on, and why that one. */
export interface BackendInfo {
  name: 'cpu' | 'tensorrt';
  requested: 'auto' | 'cpu' | 'tensorrt';
  /** Human-readable reason for the choice, e.g. why TensorRT was not used. */
  reason: string;
}
