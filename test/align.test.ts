// Issue 19: faces aligned to the ArcFace template, through the public API, against the 511 reference crops of
// ../shared/data/reference/align_photos (skimage 0.19 + OpenCV 4.6 from the reference landmarks; conventions in
// ../shared/data/SOURCES.md); bad input; detectAndAlign; annotate.
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { alignFace, annotate, Detector, type AffineMatrix, type PixelInput } from '../lib/index';
import { MODEL_DYNAMIC, PHOTOS, REFERENCE } from './helpers/shared';

const ALIGN = path.join(REFERENCE, 'align_photos');
interface ReferenceCrop {
  image: string;
  index: number;
  landmarks: [number, number][];
  matrix: AffineMatrix;
  crop: string;
}
const reference = JSON.parse(fs.readFileSync(path.join(ALIGN, 'align.json'), 'utf8')) as {
  template: [number, number][];
  faces: ReferenceCrop[];
};

/** The photo as cv2.imread saw it: EXIF orientation applied, alpha dropped, and no ICC colour conversion. */
async function decodeLikeOpenCv(file: string): Promise<PixelInput> {
  const { data, info } = await sharp(file, { ignoreIcc: true })
    .autoOrient()
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  return { data, width: info.width, height: info.height, channels: info.channels as 1 | 3 };
}

async function rawPng(file: string): Promise<Buffer> {
  const { data, info } = await sharp(file).raw().toBuffer({ resolveWithObject: true });
  if (info.channels !== 3) throw new Error(`${file}: ${info.channels} channels`);
  return data;
}

/** Mean and 99th percentile of |a - b| over all bytes. */
function pixelStats(a: Uint8Array, b: Uint8Array): { mean: number; p99: number; max: number } {
  const histogram = new Array<number>(256).fill(0);
  let sum = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i]! - b[i]!);
    histogram[d]!++;
    sum += d;
  }
  let seen = 0,
    p99 = 0,
    max = 0;
  for (let d = 0; d < 256; d++) {
    if (histogram[d]! === 0) continue;
    max = d;
    if (seen < 0.99 * a.length) p99 = d;
    seen += histogram[d]!;
  }
  return { mean: sum / a.length, p99, max };
}

const matrixError = (a: AffineMatrix, b: AffineMatrix) =>
  Math.max(...a.flatMap((row, i) => row.map((v, j) => Math.abs(v - b[i]![j]!))));

t.test(
  '511 reference crops: matrix within 1e-4 per element, crop within 0.5 levels mean and 2 levels at 99%',
  async (t) => {
    const images = new Map<string, PixelInput>();
    let worstMatrix = { error: -1, face: '' };
    let worstPixels = { mean: -1, p99: 0, max: 0, face: '' };
    let identical = 0;
    const failures: string[] = [];
    for (const face of reference.faces) {
      if (!images.has(face.image)) images.set(face.image, await decodeLikeOpenCv(path.join(PHOTOS, face.image)));
      const ours = await alignFace(images.get(face.image)!, face.landmarks);
      const name = `${face.image}#${face.index}`;
      const error = matrixError(ours.matrix, face.matrix);
      if (error > worstMatrix.error) worstMatrix = { error, face: name };
      const stats = pixelStats(ours.data, await rawPng(path.join(ALIGN, face.crop)));
      if (stats.mean > worstPixels.mean) worstPixels = { ...stats, face: name };
      if (stats.max === 0) identical++;
      if (error > 1e-4 || stats.mean > 0.5 || stats.p99 > 2)
        failures.push(`${name}: matrix ${error}, mean ${stats.mean}, p99 ${stats.p99}`);
      if (ours.width !== 112 || ours.height !== 112 || ours.channels !== 3 || ours.data.length !== 112 * 112 * 3)
        failures.push(`${name}: shape`);
    }
    t.comment(
      `${reference.faces.length} faces of ${images.size} photos; ${identical} crops identical to the reference`,
    );
    t.comment(`worst matrix: ${worstMatrix.face}, max |element diff| ${worstMatrix.error}`);
    t.comment(
      `worst crop: ${worstPixels.face}, mean |diff| ${worstPixels.mean.toFixed(4)}, 99th percentile ${worstPixels.p99}, max ${worstPixels.max}`,
    );
    t.equal(reference.faces.length, 511);
    t.same(failures, [], 'every face within the acceptance tolerances');
  },
);

const coreTests = ['build/retinaface_core_tests', 'build/Release/retinaface_core_tests']
  .map((p) => path.resolve(__dirname, '..', p))
  .find((p) => fs.existsSync(p));

t.test(
  'the C++ core on the same photos and crops (core test binary, raw dump)',
  { skip: coreTests ? false : 'no C++ test binary: run `npm run build` first' },
  async (t) => {
    const binary = coreTests!;
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-align-dump-'));
    t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
    const lines: string[] = [];
    const dumped = new Map<string, PixelInput>();
    for (const [i, face] of reference.faces.entries()) {
      const imageFile = `${face.image}.raw`;
      if (!dumped.has(face.image)) {
        const pixels = await decodeLikeOpenCv(path.join(PHOTOS, face.image));
        fs.writeFileSync(path.join(dir, imageFile), pixels.data);
        dumped.set(face.image, pixels);
      }
      const { width, height, channels } = dumped.get(face.image)!;
      fs.writeFileSync(path.join(dir, `crop${i}.raw`), await rawPng(path.join(ALIGN, face.crop)));
      lines.push(
        [imageFile, width, height, channels, `crop${i}.raw`, ...face.landmarks.flat(), ...face.matrix.flat()].join(' '),
      );
    }
    fs.writeFileSync(path.join(dir, 'manifest.txt'), lines.join('\n') + '\n');
    const run = spawnSync(binary, ['align_reference_crops_from_dump'], {
      encoding: 'utf8',
      env: { ...process.env, RETINAFACE_ALIGN_DUMP: dir },
    });
    t.comment(
      run.stdout
        .trim()
        .split('\n')
        .filter((l) => l.includes('faces:'))
        .join(' '),
    );
    t.equal(run.status, 0, run.stdout + run.stderr);
    t.match(run.stdout, /1 passed, 0 failed/);
  },
);

t.test('a file path is decoded like raw pixels (photo without an ICC profile): same crop', async (t) => {
  const face = reference.faces.find((f) => f.image === 'fr_obama_and_biden.jpg')!;
  const fromPath = await alignFace(path.join(PHOTOS, face.image), face.landmarks);
  const fromPixels = await alignFace(await decodeLikeOpenCv(path.join(PHOTOS, face.image)), face.landmarks);
  t.ok(fromPath.data.equals(fromPixels.data));
  t.ok(fromPath.data.equals(await rawPng(path.join(ALIGN, face.crop))), 'equals the reference crop');
  // Flat numbers and typed arrays are accepted too.
  const flat = await alignFace(path.join(PHOTOS, face.image), Float64Array.from(face.landmarks.flat()));
  t.ok(flat.data.equals(fromPath.data));
});

t.test('matrix and inverse map landmarks onto the template and back; other sizes scale the template', async (t) => {
  const face = reference.faces[0]!;
  const pixels = await decodeLikeOpenCv(path.join(PHOTOS, face.image));
  const apply = (m: AffineMatrix, [x, y]: [number, number]): [number, number] => [
    m[0][0] * x + m[0][1] * y + m[0][2],
    m[1][0] * x + m[1][1] * y + m[1][2],
  ];
  const a112 = await alignFace(pixels, face.landmarks);
  face.landmarks.forEach((p, k) => {
    const [cx, cy] = apply(a112.matrix, p);
    t.ok(
      Math.hypot(cx - reference.template[k]![0], cy - reference.template[k]![1]) < 4,
      `landmark ${k} lands near the template`,
    );
    const [x, y] = apply(a112.inverse, [cx, cy]);
    t.ok(Math.abs(x - p[0]) < 1e-6 && Math.abs(y - p[1]) < 1e-6, `inverse maps landmark ${k} back`);
  });
  const a224 = await alignFace(pixels, face.landmarks, { size: 224 });
  t.equal(a224.width, 224);
  t.equal(a224.data.length, 224 * 224 * 3);
  t.ok(
    Math.abs(a224.matrix[0][0] - 2 * a112.matrix[0][0]) < 1e-6 &&
      Math.abs(a224.matrix[1][2] - 2 * a112.matrix[1][2]) < 1e-3,
    '224 = 2 x 112',
  );
  const a128 = await alignFace(pixels, face.landmarks, { size: 128 });
  t.ok(
    Math.abs(a128.matrix[0][2] - (a112.matrix[0][2] + 8)) < 1e-3 &&
      Math.abs(a128.matrix[1][2] - a112.matrix[1][2]) < 1e-3,
    '128: the 112 template shifted 8 px right',
  );
});

t.test('bad landmarks, sizes and options are INVALID_ARGUMENT, never a crash', async (t) => {
  const image = { data: new Uint8Array(64 * 64 * 3), width: 64, height: 64, channels: 3 as const };
  const good: [number, number][] = [
    [20, 25],
    [44, 25],
    [32, 35],
    [22, 45],
    [42, 45],
  ];
  const bad: unknown[] = [
    good.slice(0, 4),
    [...good, [1, 2]],
    [[20, 25, 1], ...good.slice(1)],
    [[NaN, 25], ...good.slice(1)],
    [[20, Infinity], ...good.slice(1)],
    [['20', 25], ...good.slice(1)],
    null,
    'landmarks',
    {},
    new Array(10).fill(5).map((v, i) => (i === 3 ? NaN : v)),
    [
      [30, 30],
      [30, 30],
      [30, 30],
      [30, 30],
      [30, 30],
    ], // degenerate: all equal
  ];
  for (const landmarks of bad) {
    await t.rejects(
      alignFace(image, landmarks as [number, number][]),
      { code: 'INVALID_ARGUMENT' },
      JSON.stringify(landmarks),
    );
  }
  for (const size of [15, 1025, 100.5, '112', NaN, -112]) {
    await t.rejects(
      alignFace(image, good, { size: size as number }),
      { code: 'INVALID_ARGUMENT' },
      `size ${String(size)}`,
    );
  }
  await t.rejects(alignFace(image, good, { sizes: 112 } as never), { code: 'INVALID_ARGUMENT' });
  await t.rejects(
    alignFace({ ...image, data: new Uint8Array(10) }, good),
    { code: 'INVALID_ARGUMENT' },
    'short pixel data',
  );
  await t.rejects(alignFace({ ...image, width: 0 }, good), { code: 'INVALID_ARGUMENT' }, 'zero width');
  // Gray + alpha: the gray channel, replicated.
  const grayAlpha = new Uint8Array(64 * 64 * 2).map((_, i) => (i % 2 ? 255 : (i >> 1) & 255));
  const gray = new Uint8Array(64 * 64 * 3).map((_, i) => Math.floor(i / 3) & 255);
  const fromGrayAlpha = await alignFace({ data: grayAlpha, width: 64, height: 64, channels: 2 }, good);
  const fromRgb = await alignFace({ data: gray, width: 64, height: 64, channels: 3 }, good);
  t.ok(fromGrayAlpha.data.equals(fromRgb.data), 'gray + alpha = its gray as RGB');
  const ok = await alignFace(image, good, { size: 16 });
  t.equal(ok.data.length, 16 * 16 * 3);
});

t.test(
  'detectAndAlign: the detections of detect(), each with the crop alignFace cuts from the same pixels',
  async (t) => {
    const detector = await Detector.create({ model: MODEL_DYNAMIC });
    t.teardown(() => detector.close());
    const file = path.join(PHOTOS, 'fr_obama_and_biden.jpg');
    const aligned = await detector.detectAndAlign(file);
    const faces = await detector.detect(file);
    t.equal(aligned.length, faces.length);
    t.equal(aligned.length, 3);
    for (const [i, face] of aligned.entries()) {
      t.same(face.box, faces[i]!.box);
      const single = await alignFace(file, face.landmarks);
      t.ok(face.aligned.data.equals(single.data), `face ${i}: same crop as alignFace`);
      t.same(face.aligned.matrix, single.matrix);
    }
    const big = await detector.detectAndAlign(file, { size: 256 });
    t.equal(big[0]!.aligned.width, 256);
    await t.rejects(detector.detectAndAlign(file, { size: 8 }), { code: 'INVALID_ARGUMENT' });
    await t.rejects(detector.detectAndAlign(file, null as never), { code: 'INVALID_ARGUMENT' });
    await t.rejects(
      detector.detectAndAlign(file, { size: 112, bogus: 1 } as never),
      { code: 'INVALID_ARGUMENT' },
      'unknown option',
    );
  },
);

t.test('annotate: decodes to the image size, draws where the boxes are, leaves the rest', async (t) => {
  const file = path.join(PHOTOS, 'fr_two_people.jpg');
  const original = await sharp(file).autoOrient().removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const { width, height } = original.info;
  const face = {
    box: [100.4, 80.2, 220.7, 240.9] as [number, number, number, number],
    score: 0.987,
    landmarks: [
      [130, 140],
      [190, 140],
      [160, 175],
      [135, 205],
      [185, 205],
    ] as [[number, number], [number, number], [number, number], [number, number], [number, number]],
  };
  const png = await annotate(file, [face], { format: 'png', lineWidth: 3 });
  const drawn = await sharp(png).raw().toBuffer({ resolveWithObject: true });
  t.equal(drawn.info.width, width);
  t.equal(drawn.info.height, height);
  const at = (buf: Buffer, x: number, y: number) =>
    Array.from(buf.subarray((y * width + x) * 3, (y * width + x) * 3 + 3));
  t.same(at(drawn.data, 160, 80), [0, 230, 118], 'the top edge of the box (y = 80.2) is box-coloured');
  t.same(at(drawn.data, 220, 160), [0, 230, 118], 'the right edge (x = 220.7) too');
  t.same(at(drawn.data, 130, 140), [255, 23, 68], 'left eye red');
  t.same(at(drawn.data, 190, 140), [41, 121, 255], 'right eye blue');
  t.same(
    at(drawn.data, width - 5, height - 5),
    at(original.data, width - 5, height - 5),
    'far from the box: unchanged',
  );
  let changed = 0;
  for (let i = 0; i < drawn.data.length; i++) if (drawn.data[i] !== original.data[i]) changed++;
  t.ok(changed > 0 && changed < drawn.data.length / 5, `some pixels changed (${changed})`);
  for (const format of ['jpeg', 'webp'] as const) {
    const meta = await sharp(await annotate(file, [face], { format })).metadata();
    t.equal(meta.format, format);
    t.equal(meta.width, width);
  }
  await t.rejects(annotate(file, [face], { format: 'gif' as never }), { code: 'INVALID_ARGUMENT' });
  await t.rejects(annotate(file, [{ ...face, box: [0, 0, NaN, 1] }]), { code: 'INVALID_ARGUMENT' });
});
