// ESM entry: the package is compiled to CommonJS; this re-exports it with named exports.
import lib from '../dist/lib/index.js';

export const { Detector, RetinaFaceError, isRetinaFaceError, ErrorCodes, runtimeInfo, FaceTracker } = lib;
export const { alignFace, annotate, ANNOTATION_COLOURS } = lib;
export const { evaluateWider, evaluateDetections, loadGroundTruth } = lib;
export default lib;
