/** The benchmarks' images (many distinct WIDER val photos, so no run times one image sitting in a cache) and model. */
import fs from 'node:fs';
import path from 'node:path';
import type { RawPixels } from '../../lib/binding';
import { decodeImage } from '../../lib/image';

export const SHARED = path.resolve(__dirname, '../../../shared');
export const WIDER_IMAGES = path.join(SHARED, 'data/widerface-val/images');
export const BENCH_MODEL = path.join(SHARED, 'models/retinaface-mnet025/retinaface_mnet025_dynamic_op13.onnx');

export interface BenchImage {
  name: string; // '<event>/<file>.jpg'
  encoded: Buffer;
  pixels: RawPixels;
}

/** The names ('<event>/<file>.jpg') of `count` images spread evenly over the sorted subset: every k-th one. */
export function pickImageNames(count: number): string[] {
  const names = fs
    .readdirSync(WIDER_IMAGES)
    .sort()
    .flatMap((e) =>
      fs
        .readdirSync(path.join(WIDER_IMAGES, e))
        .sort()
        .map((n) => `${e}/${n}`),
    );
  const step = Math.max(1, Math.floor(names.length / count));
  return names.filter((_, i) => i % step === 0).slice(0, count);
}

/** Every k-th image of the sorted subset, decoded once up front. */
export async function loadImages(count: number): Promise<BenchImage[]> {
  const chosen = pickImageNames(count);
  return Promise.all(
    chosen.map(async (name) => {
      const encoded = fs.readFileSync(path.join(WIDER_IMAGES, name));
      return { name, encoded, pixels: await decodeImage(encoded, { maxPixels: 1e8, minSide: 1 }) };
    }),
  );
}
