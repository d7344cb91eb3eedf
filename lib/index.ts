export { Detector, type DetectCallOptions, type DetectAndAlignOptions, type AlignedDetection } from './detector';
export { alignFace, type AlignOptions, type AlignedFace, type AffineMatrix, type LandmarksInput } from './align';
export { annotate, ANNOTATION_COLOURS, type AnnotateOptions, type AnnotateFormat } from './annotate';
export type { DetectorOptions, BackendName, InputSize } from './options';
export type { Face, Point } from './faces';
export type { ImageInput, PixelInput } from './image';
export type { BackendInfo } from './backends/backend';
export type { CallTimings, DetectorStats, BatchEvent } from './stats';
export { RetinaFaceError, isRetinaFaceError, ErrorCodes, type ErrorCode } from './errors';
export {
  evaluateWider,
  evaluateDetections,
  type EvaluateWiderOptions,
  type EvaluationResult,
  type WiderEvaluation,
} from './eval/evaluate';
export { loadGroundTruth, type GroundTruth } from './eval/ground-truth';
export { runtimeInfo, type RuntimeInfo, type CudaInfo } from './runtime-info';
export type { VideoOptions, VideoFrameResult } from './video/detect-video';
export type { VideoInput } from './video/frame-decoder';
export { FaceTracker, type TrackerOptions, type TrackedFace } from './video/tracker';
