/**
 * The default model shipped inside the npm package: `npm pack` (scripts/embed-assets.ts, the prepack step) converts
 * the official weights into models/<id>.onnx, checked against the manifest's pinned sha256. A git checkout has no
 * such file (the step removes it again after packing), so there the resolver goes on to the cache and the download.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RetinaFaceError } from '../errors';
import type { ManifestModel } from './manifest';
import { packageInfo } from '../package-root';

/** Where the package keeps `model`'s embedded ONNX (whether or not it is there). */
export function embeddedModelFile(model: ManifestModel, root: string = packageInfo().root): string {
  return path.join(root, 'models', model.onnx?.file ?? `${model.id}.onnx`);
}

const checked = new Set<string>();

/**
 * The embedded ONNX of `model`, or undefined when the package has none. A file that is there but is not the pinned
 * one (a damaged install) is MODEL_INVALID rather than silently skipped; checked once per process.
 */
export function findEmbeddedModel(model: ManifestModel, root: string = packageInfo().root): string | undefined {
  const pin = model.onnx;
  if (!pin) return undefined;
  const file = embeddedModelFile(model, root);
  if (checked.has(file)) return file;
  if (!fs.existsSync(file)) return undefined;
  const bytes = fs.readFileSync(file);
  const digest = createHash('sha256').update(bytes).digest('hex');
  if (bytes.length !== pin.size || digest !== pin.sha256) {
    throw new RetinaFaceError(
      'MODEL_INVALID',
      `the package's embedded model ${file} is damaged (${bytes.length} bytes, sha256 ${digest}; expected ${pin.size} bytes, ` +
        `sha256 ${pin.sha256}): reinstall retinaface-trt, or set RETINAFACE_MODEL to a RetinaFace ONNX file`,
    );
  }
  checked.add(file);
  return file;
}
