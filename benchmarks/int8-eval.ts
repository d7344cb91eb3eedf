/**
 * WIDER FACE AP of the INT8 (QDQ) models and of `decode: 'fast'` against the float32 model, on the 1,096 shared
 * validation images (score 0.02, NMS 0.4, no caps, no clipping: the reference settings), CPU backend.
 *
 *   npx tsx benchmarks/int8-eval.ts [--calibration-images 100] [--runs fp32,int8-minmax,...] [--sizes 640]
 *
 * The INT8 models are calibrated on images of the same folder (every k-th of the sorted list), so this measures the
 * quantization error, not generalisation; a check on other images is separate. One calibration pass writes all
 * three methods' models to benchmarks/results/int8-models/ (not committed). Appends each finished run to
 * benchmarks/results/int8-eval-<date>.json, so an interrupted session keeps what it measured.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { loadGroundTruth } from '../lib/eval/ground-truth';
import { CALIBRATION_METHODS } from '../lib/models/onnx/quantize/calibrate';
import { calibrateModel, toQdq } from '../lib/models/onnx/quantize/quantize-model';
import { evaluateWiderVal } from './harness/accuracy';

const ROOT = path.resolve(__dirname, '..');
const SHARED = path.resolve(ROOT, '../shared');
const IMAGES = path.join(SHARED, 'data/widerface-val/images');
const GT = path.join(SHARED, 'data/widerface-val/gt.json');
const FP32 = path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx');
const MODELS = path.join(ROOT, 'benchmarks/results/int8-models');

function flag(name: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : undefined;
}

async function main(): Promise<void> {
  const calibrationImages = Number(flag('calibration-images') ?? 100);
  const keepFloat = Number(flag('keep-float') ?? 13);
  const activations = (flag('activations') ?? 'uint8') as 'uint8' | 'int8';
  const runs = (flag('runs') ?? 'fp32,fp32-fast,int8-minmax,int8-percentile,int8-entropy').split(',');
  const sizes = (flag('sizes') ?? '640').split(',').map(Number);
  const date = new Date().toISOString().slice(0, 10);
  const outFile = path.join(ROOT, `benchmarks/results/int8-eval-${date}.json`);
  // Re-read before each append: several of these may run at once (one per configuration).
  const append = (entry: unknown): void => {
    const report = fs.existsSync(outFile)
      ? JSON.parse(fs.readFileSync(outFile, 'utf8'))
      : {
          date,
          images: 'shared/data/widerface-val (1,096 images)',
          settings: { scoreThreshold: 0.02, nmsThreshold: 0.4, backend: 'cpu' },
          runs: [],
        };
    report.runs.push(entry);
    fs.writeFileSync(outFile, JSON.stringify(report, null, 2) + '\n');
  };
  fs.mkdirSync(MODELS, { recursive: true });

  const modelFor = (method: string) =>
    path.join(
      MODELS,
      `retinaface_mnet025_op13.int8-${method}-${calibrationImages}-kf${keepFloat}${activations === 'uint8' ? '-u8' : ''}.onnx`,
    );
  if (runs.some((r) => r.startsWith('int8') && !fs.existsSync(modelFor(r.split('-')[1]!)))) {
    const started = performance.now();
    const calibration = await calibrateModel(fs.readFileSync(FP32), {
      calibrate: IMAGES,
      images: calibrationImages,
      keepFloat,
      onProgress: (done, total) => done % 10 === 0 && console.error(`  calibration ${done}/${total}`),
    });
    for (const method of CALIBRATION_METHODS)
      fs.writeFileSync(modelFor(method), toQdq(calibration, method, 'int32', activations));
    console.error(
      `calibrated on ${calibration.images} images in ${((performance.now() - started) / 1000).toFixed(0)} s`,
    );
  }

  const gt = loadGroundTruth(GT);
  for (const size of sizes) {
    for (const run of runs) {
      const [kind, variant] = run.split('-') as [string, string | undefined];
      const model = kind === 'int8' ? modelFor(variant!) : FP32;
      const decode = run.endsWith('-fast') ? 'fast' : 'exact';
      const load = os.loadavg()[0]!;
      console.error(`--- ${run} at ${size} (load ${load.toFixed(1)})`);
      const result = await evaluateWiderVal({
        gt,
        model,
        inputSize: size,
        detector: { backend: 'cpu', ...(decode === 'fast' ? { decode } : {}) } as never,
      });
      const ap = Object.fromEntries(Object.entries(result.ap).map(([k, v]) => [k, Number((v * 100).toFixed(3))]));
      console.error(`  ${JSON.stringify(ap)} ${result.seconds.toFixed(0)} s`);
      append({
        run,
        inputSize: size,
        model: path.relative(ROOT, model),
        decode,
        calibrationImages: kind === 'int8' ? calibrationImages : undefined,
        keepFloat: kind === 'int8' ? keepFloat : undefined,
        activations: kind === 'int8' ? activations : undefined,
        apPercent: ap,
        images: result.images,
        detections: result.detections,
        seconds: Number(result.seconds.toFixed(1)),
        loadAverage1mAtStart: Number(load.toFixed(2)),
        finishedAt: new Date().toISOString(),
      });
    }
  }
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
