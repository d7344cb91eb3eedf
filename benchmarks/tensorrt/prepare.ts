/**
 * Prepares the input bundle of the TensorRT benchmark on any machine with Node (the TensorRT machine needs none):
 * the shared photos decoded exactly as the detector decodes them (sharp, EXIF orientation), the CPU backend's faces
 * for them (the reference the TensorRT engines are compared with), the FP32 model and its FP16 rewrite.
 *
 *   npx tsx benchmarks/tensorrt/prepare.ts --out /tmp/trt-bundle [--model file.onnx] [--input-size 640]
 *
 * Bundle (read by trt_bench.cc): bundle.txt (settings), manifest.tsv (name, width, height, channels, pixel file),
 * images/*.rgb (raw HWC uint8), cpu-faces.tsv (name, score, box, landmarks per face), model-fp32.onnx,
 * model-fp16.onnx. Nothing of it belongs in the repository.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Detector } from '../../lib';
import { onnxForPrecision } from '../../lib/backends/tensorrt';
import { decodeImage } from '../../lib/image';

const ROOT = path.resolve(__dirname, '../..');
const SHARED = process.env.RETINAFACE_SHARED ?? path.resolve(ROOT, '../shared');
const PHOTOS = path.join(SHARED, 'data/photos');

function flag(name: string, fallback?: string): string | undefined {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

// The detector's defaults: what the TensorRT run must reproduce.
const SETTINGS = { scoreThreshold: 0.5, nmsThreshold: 0.4, preNmsTopK: 5000, maxFaces: 1000, clip: true };

async function main(): Promise<void> {
  const out = flag('out');
  if (!out) throw new Error('usage: prepare.ts --out DIR [--model file.onnx] [--input-size 640]');
  const model = path.resolve(
    flag('model', path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx'))!,
  );
  const side = Number(flag('input-size', '640'));
  fs.mkdirSync(path.join(out, 'images'), { recursive: true });

  fs.copyFileSync(model, path.join(out, 'model-fp32.onnx'));
  fs.writeFileSync(path.join(out, 'model-fp16.onnx'), await onnxForPrecision({ model, precision: 'fp16' }));

  const photos = fs
    .readdirSync(PHOTOS)
    .filter((f) => /\.(jpe?g|png)$/i.test(f))
    .sort();
  const detector = await Detector.create({ model, backend: 'cpu', inputSize: side, ...SETTINGS, maxBatch: 1 });
  const manifest: string[] = [];
  const faces: string[] = [];
  try {
    for (const photo of photos) {
      const name = path.parse(photo).name;
      const pixels = await decodeImage(path.join(PHOTOS, photo), { maxPixels: 100_000_000, minSide: 8 });
      const file = `images/${name}.rgb`;
      fs.writeFileSync(path.join(out, file), pixels.data);
      manifest.push([name, pixels.width, pixels.height, pixels.channels, file].join('\t'));
      for (const face of await detector.detect(pixels)) {
        faces.push([name, face.score, ...face.box, ...face.landmarks.flat()].join('\t'));
      }
    }
  } finally {
    await detector.close();
  }
  fs.writeFileSync(path.join(out, 'manifest.tsv'), manifest.join('\n') + '\n');
  fs.writeFileSync(path.join(out, 'cpu-faces.tsv'), faces.join('\n') + '\n');
  fs.writeFileSync(
    path.join(out, 'bundle.txt'),
    [
      `input=${side}x${side}`,
      `score=${SETTINGS.scoreThreshold}`,
      `nms=${SETTINGS.nmsThreshold}`,
      `topk=${SETTINGS.preNmsTopK}`,
      `maxfaces=${SETTINGS.maxFaces}`,
      `clip=${SETTINGS.clip ? 1 : 0}`,
      `model=${path.basename(model)}`,
    ].join('\n') + '\n',
  );
  console.log(`${out}: ${photos.length} photos, ${faces.length} CPU faces, models fp32 + fp16`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
