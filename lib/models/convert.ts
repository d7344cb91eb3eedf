/** .pth -> ONNX: read the state_dict safely, build the RetinaFace graph, serialise it; and ONNX -> FP16 ONNX. */
import { createHash } from 'node:crypto';
import path from 'node:path';
import { checkFileTarget, writeFileAtomic } from './atomic-write';
import { parseCheckpoint, readWeightsFile } from './checkpoint/read-checkpoint';
import { readModelInput } from './input-file';
import { rewriteToFloat16 } from './onnx/fp16-rewrite';
import { decodeOnnxFile } from './onnx/decode-onnx';
import { encodeModel } from './onnx/graph-builder';
import { packageInfo } from '../package-root';
import { type Architecture, buildRetinaFace, detectArchitecture } from './retinaface/build-graph';
import type { Precision } from './retinaface/layers';

export interface ConvertOptions {
  /** Default: recognised from the parameter names. */
  architecture?: Architecture;
  precision?: Precision;
}

export interface Converted {
  onnx: Uint8Array;
  architecture: Architecture;
  precision: Precision;
}

/** Converts checkpoint bytes (`source` names them in errors). */
export async function convertCheckpointBytes(
  bytes: Uint8Array,
  source: string,
  options: ConvertOptions = {},
): Promise<Converted> {
  const stateDict = await parseCheckpoint(bytes, source);
  const architecture = options.architecture ?? detectArchitecture(stateDict, source);
  const precision = options.precision ?? 'fp32';
  const graph = buildRetinaFace(stateDict, { architecture, precision, source });
  const model = graph.toModel({
    graphName: `retinaface-${architecture}`,
    producerVersion: packageInfo().version,
    docString: `biubug6 RetinaFace ${architecture} (${precision}), converted from ${path.basename(source)} by retinaface-trt`,
    metadata: {
      architecture,
      precision,
      weights_sha256: createHash('sha256').update(bytes).digest('hex'),
      input: 'input0 float32 [batch, 3, height, width], BGR minus (104, 117, 123)',
      outputs: 'loc [batch, N, 4], conf [batch, N, 2] softmaxed, landms [batch, N, 10]',
    },
  });
  return { onnx: encodeModel(model), architecture, precision };
}

/** Converts `weightsFile` and writes the ONNX to `outputFile` atomically. */
export async function convertCheckpointFile(
  weightsFile: string,
  outputFile: string,
  options: ConvertOptions = {},
): Promise<Converted> {
  await checkFileTarget(outputFile);
  const bytes = await readWeightsFile(weightsFile);
  const converted = await convertCheckpointBytes(bytes, weightsFile, options);
  await writeFileAtomic(outputFile, converted.onnx);
  return converted;
}

/** Rewrites a float32 RetinaFace ONNX file into its FP16 twin (see onnx/fp16-rewrite.ts). */
export async function rewriteOnnxFileToFp16(inputFile: string, outputFile: string): Promise<void> {
  await checkFileTarget(outputFile);
  // protobuf caps a serialised model at 2 GiB
  const bytes = await readModelInput(inputFile, {
    maxBytes: 2 ** 31 - 1,
    tooLargeCode: 'MODEL_INVALID',
    what: 'ONNX model',
  });
  const model = decodeOnnxFile(inputFile, bytes);
  await writeFileAtomic(outputFile, encodeModel(rewriteToFloat16(model)));
}
