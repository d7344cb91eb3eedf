/**
 * Registry models on disk: `<cache>/<id>/<weights file>` (as downloaded, sha256-checked) and `<cache>/<id>/<id>.onnx`
 * (converted from it once). ensureModel() returns the ONNX, downloading and converting only what is missing.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { RetinaFaceError } from '../errors';
import { modelCacheDir, HOME_ENV } from './cache-dir';
import { convertCheckpointFile } from './convert';
import { downloadVerified } from './download';
import { findModel, loadManifest, type ManifestModel } from './manifest';
import type { ProgressMode } from './progress';

/** Set to 1 to never download: a missing model is then MODEL_NOT_FOUND at once (air-gapped machines, tests). */
export const OFFLINE_ENV = 'RETINAFACE_OFFLINE';

export interface RegistryOptions {
  env?: NodeJS.ProcessEnv;
  /** Cache folder; default modelCacheDir(env). */
  cacheDir?: string;
  progress?: ProgressMode;
  /** Download from here instead of the manifest URL (a mirror); size and sha256 are still checked. */
  url?: string;
  /** Status lines ("downloading ...", "converting ..."); default: none. */
  log?: (line: string) => void;
}

export interface ModelFiles {
  dir: string;
  weights: string;
  onnx: string;
}

export function modelFiles(model: ManifestModel, cacheDir: string): ModelFiles {
  const dir = path.join(cacheDir, model.id);
  return { dir, weights: path.join(dir, model.weights.file), onnx: path.join(dir, `${model.id}.onnx`) };
}

/** How to get going without the network: said by every download failure. */
export function manualSteps(model: ManifestModel, files: ModelFiles): string {
  return (
    `To install it by hand, download ${model.weights.url} (${model.weights.size} bytes, sha256 ${model.weights.sha256}) ` +
    `on a machine that is online and save it as ${files.weights} (it is checked and converted to ONNX on first use; ` +
    `${HOME_ENV} moves the cache folder), or set RETINAFACE_MODEL to a RetinaFace ONNX file`
  );
}

function sha256File(file: string): string {
  return createHash('sha256').update(fs.readFileSync(file)).digest('hex');
}

const inFlight = new Map<string, Promise<string>>();

/** The ONNX of registry model `id` (default: the manifest's default), downloaded and converted when missing. */
export function ensureModel(id?: string, options: RegistryOptions = {}): Promise<string> {
  const env = options.env ?? process.env;
  const model = findModel(id);
  const files = modelFiles(model, options.cacheDir ?? modelCacheDir(env));
  if (fs.existsSync(files.onnx)) return Promise.resolve(files.onnx);
  // Concurrent callers in this process share one download and conversion.
  let pending = inFlight.get(files.onnx);
  if (!pending) {
    pending = install(model, files, env, options).finally(() => inFlight.delete(files.onnx));
    inFlight.set(files.onnx, pending);
  }
  return pending;
}

async function install(
  model: ManifestModel,
  files: ModelFiles,
  env: NodeJS.ProcessEnv,
  options: RegistryOptions,
): Promise<string> {
  const log = options.log ?? (() => {});
  if (fs.existsSync(files.weights)) {
    // Placed by hand (or left by an earlier run that failed to convert): check it is the registry's file.
    const size = fs.statSync(files.weights).size;
    const digest = size === model.weights.size ? sha256File(files.weights) : '';
    if (digest !== model.weights.sha256) {
      throw new RetinaFaceError(
        'CHECKPOINT_INVALID',
        `${files.weights} is not the ${model.id} weights file (${size} bytes${digest ? `, sha256 ${digest}` : ''}; expected ` +
          `${model.weights.size} bytes, sha256 ${model.weights.sha256}). Delete it to download again. ${manualSteps(model, files)}`,
      );
    }
  } else {
    if (env[OFFLINE_ENV] && env[OFFLINE_ENV] !== '0') {
      throw new RetinaFaceError(
        'MODEL_NOT_FOUND',
        `no model given and ${model.id} is not in the cache (${files.dir}); downloads are off (${OFFLINE_ENV}). ` +
          `${manualSteps(model, files)}`,
      );
    }
    const url = options.url ?? model.weights.url;
    log(`downloading ${model.id} weights from ${url} into ${files.dir}`);
    try {
      await downloadVerified(url, files.weights, model.weights, { progress: options.progress, label: model.id });
    } catch (error) {
      if (!(error instanceof RetinaFaceError)) throw error;
      throw new RetinaFaceError(error.code, `${error.message}. ${manualSteps(model, files)}`, { cause: error });
    }
  }
  log(`converting ${files.weights} to ONNX (${model.architecture})`);
  await convertCheckpointFile(files.weights, files.onnx, { architecture: model.architecture });
  return files.onnx;
}

export interface CachedModel {
  model: ManifestModel;
  files: ModelFiles;
  weightsCached: boolean;
  onnxCached: boolean;
  isDefault: boolean;
}

/** Every registry model with what of it is in the cache. */
export function listModels(options: Pick<RegistryOptions, 'env' | 'cacheDir'> = {}): CachedModel[] {
  const manifest = loadManifest();
  const cacheDir = options.cacheDir ?? modelCacheDir(options.env ?? process.env);
  return manifest.models.map((model) => {
    const files = modelFiles(model, cacheDir);
    return {
      model,
      files,
      weightsCached: fs.existsSync(files.weights),
      onnxCached: fs.existsSync(files.onnx),
      isDefault: model.id === manifest.default,
    };
  });
}
