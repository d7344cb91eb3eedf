/**
 * Which model file to load: an explicit path, else $RETINAFACE_MODEL, else the registry's default model
 * (retinaface-mnet025): the copy embedded in the npm package, else the cache, else downloaded and converted on first
 * use.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RetinaFaceError } from '../errors';
import { modelCacheDir } from './cache-dir';
import { findEmbeddedModel } from './embedded';
import { findModel } from './manifest';
import { ensureModel, manualSteps, modelFiles, type RegistryOptions } from './registry';

export const MODEL_ENV = 'RETINAFACE_MODEL';

export interface ResolveOptions {
  /** Where to look for the embedded model (models/ under it); default: this package's root. */
  packageRoot?: string;
}

/** explicit > RETINAFACE_MODEL (an empty value counts as unset). */
function configuredPath(explicit: string | undefined, env: NodeJS.ProcessEnv): string | undefined {
  const chosen = explicit ?? env[MODEL_ENV];
  return chosen ? path.resolve(chosen) : undefined;
}

/**
 * Synchronous form: explicit > RETINAFACE_MODEL > the embedded default model > the default model if it is already in
 * the cache. Never touches the network; when nothing is found it throws MODEL_NOT_FOUND saying how to get the model.
 */
export function resolveModelPath(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: ResolveOptions = {},
): string {
  const configured = configuredPath(explicit, env);
  if (configured) return configured;
  const model = findModel(undefined);
  const embedded = findEmbeddedModel(model, options.packageRoot);
  if (embedded) return embedded;
  const files = modelFiles(model, modelCacheDir(env));
  if (fs.existsSync(files.onnx)) return files.onnx;
  throw new RetinaFaceError(
    'MODEL_NOT_FOUND',
    `no model given: pass { model: '/path/to/retinaface.onnx' }, set ${MODEL_ENV} to a RetinaFace ONNX file, or run ` +
      `\`retinaface fetch\` to download the default model (${model.id}) into ${files.dir}. ${manualSteps(model, files)}`,
  );
}

/**
 * explicit > RETINAFACE_MODEL > the default model embedded in the package > the default registry model, downloaded
 * (size and sha256 checked) and converted to ONNX on first use, then cached. Download problems are MODEL_DOWNLOAD_FAILED with the by-hand steps; with
 * RETINAFACE_OFFLINE=1 a model that is not cached is MODEL_NOT_FOUND at once.
 */
export async function resolveModel(
  explicit: string | undefined,
  env: NodeJS.ProcessEnv = process.env,
  options: Omit<RegistryOptions, 'env'> & ResolveOptions = {},
): Promise<string> {
  const configured = configuredPath(explicit, env);
  if (configured) return configured;
  const { packageRoot, ...registry } = options;
  return findEmbeddedModel(findModel(undefined), packageRoot) ?? ensureModel(undefined, { ...registry, env });
}
