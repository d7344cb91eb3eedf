/** Per-call timings and detector-level counters. */
import type { ErrorCode } from './errors';

/** Where one detect() call spent its time, in milliseconds. */
export interface CallTimings {
  /** Decoding the image (sharp). */
  decodeMs: number;
  /** Waiting for a batch to start. */
  queueMs: number;
  /** Letterbox + normalisation of the whole batch (native). */
  preprocessMs: number;
  /** The network on the whole batch. */
  inferenceMs: number;
  /** Decode + NMS of the whole batch (native). */
  postprocessMs: number;
  /** From the call to its result. */
  totalMs: number;
  /** Images in the batch this call ran in. */
  batchSize: number;
}

export interface BatchEvent {
  size: number;
  preprocessMs: number;
  inferenceMs: number;
  postprocessMs: number;
}

export interface DetectorStats {
  /** detect() calls that returned faces. */
  completed: number;
  /** detect() calls that failed, by error code. */
  failed: Partial<Record<ErrorCode, number>>;
  batches: number;
  /** Images run through the network (completed calls plus those of failed or aborted batches). */
  images: number;
  meanBatchSize: number;
  /** Calls waiting for a batch now. */
  queueDepth: number;
  /** Batches running now. */
  runningBatches: number;
}
