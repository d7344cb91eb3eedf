export { Detector, type DetectCallOptions } from './detector';
export type { DetectorOptions, BackendName, InputSize } from './options';
export type { Face, Point } from './faces';
export type { ImageInput, PixelInput } from './image';
export type { BackendInfo } from './backends/backend';
export type { CallTimings, DetectorStats, BatchEvent } from './stats';
export { RetinaFaceError, isRetinaFaceError, ErrorCodes, type ErrorCode } from './errors';
export { evaluateWider, evaluateDetections, type EvaluateWiderOptions, type EvaluationResult, type WiderEvaluation } from './eval/evaluate';
export { loadGroundTruth, type GroundTruth } from './eval/ground-truth';
