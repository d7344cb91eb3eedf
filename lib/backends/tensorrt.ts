/**
 * TensorRT backend: letterboxing, the engine, and decode + NMS all run on the GPU in the addon, on native threads
 * (never the libuv pool), so JS hands over a batch of RawPixels and gets the same flat face records the CPU
 * backend's postprocess produces.
 *
 * The addon loads a TensorRT layer library for whichever TensorRT (10.x or 11.x) is installed; where there is none,
 * or no driver or GPU, `probeTensorRt()` says exactly what is missing and `load()` fails with BACKEND_UNAVAILABLE.
 */
import fs from 'node:fs/promises';
import path from 'node:path';
import util from 'node:util';
import { type BatchStages, plainStages } from '../batcher';
import { binding, type PostprocessOptions, type RawPixels } from '../binding';
import { type ErrorCode, RetinaFaceError, toRetinaFaceError } from '../errors';
import { unpackFaces } from '../faces';
import { modelCacheDir } from '../models/cache-dir';
import { rewriteToFloat16 } from '../models/onnx/fp16-rewrite';
import { decodeOnnxFile } from '../models/onnx/decode-onnx';
import { DataType, encodeModel } from '../models/onnx/graph-builder';
import type { BatchPlan, DetectionBackend, ImageFaces, ModelShape } from './backend';

export type TensorRtPrecision = 'fp16' | 'fp32' | 'int8';
/** TensorRT log lines at this level or more severe are passed on. */
export type TensorRtLogLevel = 'error' | 'warning' | 'info' | 'verbose';
export type BackendLogLevel = 'error' | 'warning' | 'info' | 'debug';
export type BackendLogger = (level: BackendLogLevel, message: string) => void;

type Size = { width: number; height: number };

/** The addon's answer to "can TensorRT run here?". */
export interface TensorRtProbe {
  available: boolean;
  /** One sentence naming every missing piece (library, driver, GPU, or a part of this build); absent when available. */
  reason?: string;
  /** Machine-readable: 'tensorrt-library' | 'nvidia-driver' | 'gpu' | 'tensorrt-layer' | 'cuda-kernels'. */
  missing: string[];
  /** The addon was compiled with the CUDA kernels. */
  cudaKernels: boolean;
  /** Where the TensorRT layer libraries were looked for. */
  layerDir: string;
  /** Every layer library looked for (newest major first): whether the file is there and, if unusable, why. */
  layers?: { major: number; path: string; present: boolean; error?: string }[];
  tensorrtMajor?: number;
  tensorrtVersion?: string;
  layerPath?: string;
  libraryPath?: string;
}

/** Cache and build progress of the engine, as the addon reports it. */
export interface EngineEvent {
  type: 'engine';
  kind:
    | 'cache-hit'
    | 'cache-rejected'
    | 'build-started'
    | 'phase-started'
    | 'step-completed'
    | 'phase-finished'
    | 'build-finished'
    | 'cache-written'
    | 'cache-write-failed'
    | 'cache-waiting';
  message?: string;
  path?: string;
  phase?: string;
  parent?: string;
  step: number;
  steps: number;
  seconds: number;
}

/** What the engine was built for and where it lives. */
export interface TensorRtEngineInfo {
  enginePath: string;
  /** false: loaded from the cache. */
  built: boolean;
  rebuildReason?: string;
  buildSeconds: number;
  tensorrtVersion: string;
  precision: TensorRtPrecision;
  streams: number;
  inputType: 'float32' | 'float16';
  gpu: { name: string; uuid: string; computeCapability: string; totalMemory: number };
  profile: { maxBatch: number; optBatch: number; min: Size; opt: Size; max: Size };
}

/** Faces of a batch in the addon's flat layout: `counts[i]` records of 15 floats per image, image after image. */
export interface PixelBatchResult {
  faces: Float32Array;
  counts: Int32Array;
}

export interface TensorRtOptions {
  /** The FP32 RetinaFace ONNX. */
  model: string;
  /**
   * Default 'fp16': built from the FP16 twin of the model (float32 stays at the input/output boundary). 'fp32': the
   * model as is, TF32 off. 'int8': `model` must be the INT8 QDQ model (`retinaface quantize`); its Q/DQ nodes make
   * the INT8 layers (a strongly typed network: no calibrator), the rest builds as fp32.
   */
  precision?: TensorRtPrecision;
  /** An FP16 ONNX to build from as is; default: `model` rewritten to FP16 in memory (lib/models/onnx/fp16-rewrite). */
  fp16Model?: string;
  /** The network input every image is letterboxed into, or 'original' (each image at its own size, one per batch). */
  inputSize: Size | 'original';
  /** 'original' only: the largest image the engine accepts. Default 1920x1920. */
  maxInputSize?: Size;
  /** Largest batch. The engine is tuned for it. */
  maxBatch: number;
  /** Post-processing caps the GPU workspace is sized for; later calls may not exceed them. */
  preNmsTopK: number;
  maxFaces: number;
  /** CUDA streams, each with its own execution context and buffers. Default 2. */
  streams?: number;
  /** Builder workspace limit. Default 1024 MiB. */
  workspaceMb?: number;
  /** Pinned staging buffer per stream. Default 32 MiB; larger batches are copied from pageable memory. */
  pinnedSlotMb?: number;
  /** Engine cache folder. Default: $RETINAFACE_HOME or the user cache folder, + /engines. */
  cacheDir?: string;
  /** TensorRT log lines passed to `log`. Default 'warning'. */
  logLevel?: TensorRtLogLevel;
  /** Receives TensorRT's log and the engine build's progress. Default: warnings and build news on stderr. */
  log?: BackendLogger;
  /** Every engine event, raw (e.g. for a progress bar). */
  onEngineEvent?: (event: EngineEvent) => void;
  /** Where libretinaface_trt10.so / libretinaface_trt11.so are. Default: beside the addon ($RETINAFACE_TRT_LAYER_DIR). */
  layerDir?: string;
}

interface NativeSession {
  info: TensorRtEngineInfo;
  detect(images: RawPixels[], canvas: Size | null, options: PostprocessOptions): Promise<PixelBatchResult>;
  close(): Promise<void>;
}

type NativeEvent = EngineEvent | { type: 'log'; severity: number; message: string };

interface NativeOpenOptions {
  onnx: Uint8Array;
  precision: TensorRtPrecision;
  profile: TensorRtEngineInfo['profile'];
  workspaceBytes: number;
  cacheDir: string;
  streams: number;
  preNmsTopK: number;
  maxFaces: number;
  pinnedSlotBytes: number;
  logSeverity: number;
  layerDir?: string;
}

/** The addon's TensorRT surface (binding.ts types the CPU part; proposed to move there). */
interface TensorRtNative {
  trtProbe?(options?: { layerDir?: string }): TensorRtProbe;
  trtOpen?(options: NativeOpenOptions, onEvent?: (event: NativeEvent) => void): Promise<NativeSession>;
}

function native(): TensorRtNative {
  return binding() as unknown as TensorRtNative;
}

const probes = new Map<string, TensorRtProbe>();

/** Asks the addon whether TensorRT can run here (cached per layer folder: libraries and drivers do not come and go). */
export function probeTensorRt(options: { layerDir?: string } = {}): TensorRtProbe {
  const key = options.layerDir ?? '';
  const cached = probes.get(key);
  if (cached) return cached;
  const probe = native().trtProbe
    ? native().trtProbe!(options.layerDir ? { layerDir: options.layerDir } : {})
    : {
        available: false,
        reason: 'TensorRT cannot run here: this build of the addon has no TensorRT support (rebuild it)',
        missing: ['tensorrt-layer'],
        cudaKernels: false,
        layerDir: '',
      };
  probes.set(key, probe);
  return probe;
}

const SEVERITY: Record<TensorRtLogLevel, number> = { error: 1, warning: 2, info: 3, verbose: 4 };
const debug = util.debuglog('retinaface');

/** Warnings, errors and engine-build news on stderr; everything else to NODE_DEBUG=retinaface. */
export const defaultBackendLogger: BackendLogger = (level, message) => {
  if (level === 'debug') debug(message);
  else process.stderr.write(`retinaface: ${message}\n`);
};

/** The optimisation profile the engine is built for. */
export function engineProfile(
  inputSize: Size | 'original',
  maxBatch: number,
  maxInputSize: Size = { width: 1920, height: 1920 },
) {
  if (inputSize === 'original') {
    // One image per batch, any size from the smallest input side the options accept up to maxInputSize.
    const opt = { width: Math.min(640, maxInputSize.width), height: Math.min(640, maxInputSize.height) };
    return { maxBatch: 1, optBatch: 1, min: { width: 16, height: 16 }, opt, max: { ...maxInputSize } };
  }
  return { maxBatch, optBatch: maxBatch, min: { ...inputSize }, opt: { ...inputSize }, max: { ...inputSize } };
}

async function readModel(file: string): Promise<Uint8Array> {
  try {
    return await fs.readFile(file);
  } catch (error) {
    throw new RetinaFaceError('MODEL_NOT_FOUND', `no model file at '${file}'`, { cause: error });
  }
}

/**
 * The exact ONNX bytes the engine is built from: the model itself for fp32; for int8 the model itself, which must be
 * a QDQ model (a float one would build a float32 engine labelled int8); for fp16 the given FP16 file, the model if it
 * already holds float16 weights, or its FP16 rewrite (deterministic, so the engine cache key is stable).
 */
export async function onnxForPrecision(
  options: Pick<TensorRtOptions, 'model' | 'precision' | 'fp16Model'>,
): Promise<Uint8Array> {
  const precision = options.precision ?? 'fp16';
  if (precision === 'fp32') return readModel(options.model);
  if (precision === 'int8') {
    const bytes = await readModel(options.model);
    const model = decodeOnnxFile(options.model, bytes);
    if (!model.graph.node!.some((node) => node.opType === 'QuantizeLinear' || node.opType === 'DequantizeLinear')) {
      throw new RetinaFaceError(
        'MODEL_INVALID',
        `precision 'int8' needs an INT8 QDQ model; ${options.model} has no ` +
          'QuantizeLinear/DequantizeLinear nodes (make one with `retinaface quantize`)',
      );
    }
    return bytes;
  }
  if (options.fp16Model) return readModel(options.fp16Model);
  const bytes = await readModel(options.model);
  const model = decodeOnnxFile(options.model, bytes);
  if ((model.graph.initializer ?? []).some((t) => t.dataType === DataType.FLOAT16)) return bytes;
  return encodeModel(rewriteToFloat16(model));
}

function engineNews(event: EngineEvent): [BackendLogLevel, string] | undefined {
  switch (event.kind) {
    case 'build-started':
      return ['info', `TensorRT: ${event.message ?? 'building an engine'}`];
    case 'cache-rejected':
      return ['warning', `TensorRT: not using the cached engine ${event.path}: ${event.message}`];
    case 'build-finished':
      return ['info', `TensorRT: engine built in ${event.seconds.toFixed(1)} s`];
    case 'cache-written':
      return ['info', `TensorRT: engine written to ${event.path}`];
    case 'cache-write-failed':
      return [
        'warning',
        `TensorRT: could not write the engine to ${event.path} (${event.message}); it will be rebuilt next time`,
      ];
    case 'cache-waiting':
      return ['info', `TensorRT: ${event.message ?? `waiting for another process building ${event.path}`}`];
    case 'cache-hit':
      return ['debug', `TensorRT: engine from ${event.path}`];
    case 'phase-started':
      return ['debug', `TensorRT: ${event.parent ? `${event.parent} / ` : ''}${event.phase} (${event.steps} steps)`];
    default:
      return undefined;
  }
}

// Last resort for a backend dropped without close(): its native session would otherwise hold the GPU until exit.
const unclosed = new FinalizationRegistry<() => Promise<void>>((close) => {
  close().catch(() => {});
});

export class TensorRtBackend implements DetectionBackend {
  readonly name = 'tensorrt' as const;
  readonly shape: ModelShape;
  /** Largest batch one detect() call takes. */
  readonly maxBatch: number;
  private closed = false;
  private closing?: Promise<void>;

  private constructor(
    private readonly session: NativeSession,
    /** Which engine runs, built or cached, on which GPU. */
    readonly engine: TensorRtEngineInfo,
  ) {
    const { min, max, maxBatch } = engine.profile;
    this.maxBatch = maxBatch;
    this.shape = min.width === max.width && min.height === max.height ? { fixedSize: { ...max } } : {};
    unclosed.register(this, session.close, this);
  }

  /** Finds or builds the engine (minutes on a first run; progress goes to `log`) and opens its streams. */
  static async load(options: TensorRtOptions): Promise<TensorRtBackend> {
    const probe = probeTensorRt({ layerDir: options.layerDir });
    const open = native().trtOpen;
    if (!probe.available || !open) {
      throw new RetinaFaceError(
        'BACKEND_UNAVAILABLE',
        `backend 'tensorrt' is unavailable: ${probe.reason ?? 'this addon has no TensorRT sessions'}`,
      );
    }
    const precision = options.precision ?? 'fp16';
    const onnx = await onnxForPrecision(options);
    const log = options.log ?? defaultBackendLogger;
    const onEvent = (event: NativeEvent) => {
      try {
        if (event.type === 'log') {
          log(event.severity <= 1 ? 'error' : event.severity === 2 ? 'warning' : 'debug', `TensorRT: ${event.message}`);
          return;
        }
        options.onEngineEvent?.(event);
        const news = engineNews(event);
        if (news) log(news[0], news[1]);
      } catch {
        // A failing listener must not fail the build.
      }
    };
    let session: NativeSession;
    try {
      session = await open(
        {
          onnx,
          precision,
          profile: engineProfile(options.inputSize, options.maxBatch, options.maxInputSize),
          workspaceBytes: (options.workspaceMb ?? 1024) * 2 ** 20,
          cacheDir: options.cacheDir ?? path.join(modelCacheDir(), 'engines'),
          streams: options.streams ?? 2,
          preNmsTopK: options.preNmsTopK,
          maxFaces: options.maxFaces,
          pinnedSlotBytes: (options.pinnedSlotMb ?? 32) * 2 ** 20,
          logSeverity: SEVERITY[options.logLevel ?? 'warning'],
          ...(options.layerDir ? { layerDir: options.layerDir } : {}),
        },
        onEvent,
      );
    } catch (error) {
      throw toRetinaFaceError(error, 'BACKEND_UNAVAILABLE', `TensorRT could not open ${options.model} (${precision})`);
    }
    return new TensorRtBackend(session, session.info);
  }

  /** Nothing to prepare ahead: the GPU takes the pixels as they are. */
  batchStages(plan: BatchPlan): BatchStages<RawPixels, RawPixels, ImageFaces, undefined> {
    const canvas = plan.inputSize === 'original' ? null : plan.inputSize;
    return plainStages((images) => this.runBatch(images, canvas, plan));
  }

  /** One batch, pixels in, faces out: preprocessing, inference and decode + NMS all run on the GPU. */
  private async runBatch(images: RawPixels[], canvas: Size | null, plan: BatchPlan): Promise<ImageFaces[]> {
    const t0 = performance.now();
    plan.observer.runStarted(images.length);
    const flat = await this.detect(images, canvas, plan.postprocess);
    const timings = { preprocessMs: 0, inferenceMs: performance.now() - t0, postprocessMs: 0 };
    plan.observer.runFinished({ size: images.length, ...timings });
    return unpackFaces(flat.faces, flat.counts).map((faces) => ({ faces, timings }));
  }

  /** `images` share one network input: `canvas` (letterboxed) or, with null, their own common size. */
  async detect(images: RawPixels[], canvas: Size | null, options: PostprocessOptions): Promise<PixelBatchResult> {
    if (this.closed) throw new RetinaFaceError('DETECTOR_CLOSED', 'the TensorRT backend was closed');
    if (images.length === 0 || images.length > this.maxBatch) {
      throw new RetinaFaceError('INVALID_ARGUMENT', `a batch takes 1 to ${this.maxBatch} images, got ${images.length}`);
    }
    try {
      return await this.session.detect(images, canvas, options);
    } catch (error) {
      const code: ErrorCode = 'INFERENCE_FAILED';
      throw toRetinaFaceError(error, code, `TensorRT failed on a batch of ${images.length}`);
    }
  }

  /** Waits for batches in flight, then frees engine, contexts, streams and pinned memory. */
  async close(): Promise<void> {
    this.closed = true;
    unclosed.unregister(this);
    this.closing ??= this.session.close();
    await this.closing;
  }
}
