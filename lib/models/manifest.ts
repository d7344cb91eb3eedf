/** models/manifest.json: the models the package knows how to download and convert. */
import fs from 'node:fs';
import path from 'node:path';
import { RetinaFaceError } from '../errors';
import { packageInfo } from '../package-root';
import { ARCHITECTURES, type Architecture } from './retinaface/build-graph';

export interface ManifestModel {
  id: string;
  description: string;
  architecture: Architecture;
  weights: { url: string; file: string; size: number; sha256: string; format: string; license?: string };
  /**
   * The ONNX our converter makes from those weights (the same bytes every time for one package version): pinned so
   * that the model embedded in the npm package (models/<file>) is known to be the registry's.
   */
  onnx?: { file: string; size: number; sha256: string };
  input: {
    name: string;
    dtype: string;
    layout: string;
    shape: (number | string)[];
    channels: string;
    mean: number[];
    scale: number;
  };
  outputs: Record<string, (number | string)[]>;
  anchors: { minSizes: number[][]; steps: number[]; variance: number[] };
}

export interface Manifest {
  default: string;
  models: ManifestModel[];
}

export function manifestPath(): string {
  return path.join(packageInfo().root, 'models', 'manifest.json');
}

const loaded = new Map<string, Manifest>();

/** The manifest, checked for the fields the registry relies on (read once per process). */
export function loadManifest(file = manifestPath()): Manifest {
  const known = loaded.get(file);
  if (known) return known;
  const manifest = JSON.parse(fs.readFileSync(file, 'utf8')) as Manifest;
  for (const model of manifest.models) {
    const w = model.weights;
    if (
      !model.id ||
      !ARCHITECTURES.includes(model.architecture) ||
      !w?.url ||
      !w.file ||
      !(w.size > 0) ||
      !/^[0-9a-f]{64}$/.test(w.sha256) ||
      path.basename(w.file) !== w.file ||
      (model.onnx && !validOnnxPin(model.onnx))
    ) {
      throw new Error(`retinaface-trt: ${file}: model entry ${JSON.stringify(model.id)} is incomplete`);
    }
  }
  if (!manifest.models.some((m) => m.id === manifest.default))
    throw new Error(`retinaface-trt: ${file}: unknown default model`);
  loaded.set(file, manifest);
  return manifest;
}

function validOnnxPin(onnx: NonNullable<ManifestModel['onnx']>): boolean {
  return !!onnx.file && path.basename(onnx.file) === onnx.file && onnx.size > 0 && /^[0-9a-f]{64}$/.test(onnx.sha256);
}

export function findModel(id: string | undefined, manifest: Manifest = loadManifest()): ManifestModel {
  const wanted = id ?? manifest.default;
  const model = manifest.models.find((m) => m.id === wanted);
  if (!model) {
    throw new RetinaFaceError(
      'INVALID_ARGUMENT',
      `unknown model '${wanted}'; known models: ${manifest.models.map((m) => m.id).join(', ')}`,
    );
  }
  return model;
}
