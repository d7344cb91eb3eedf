// decode: 'fast' (issue 20): a large JPEG is decoded straight to the letterbox's size; faces come back in the
// original image's pixels, next to where the exact decode puts them. Small images, other formats and raw pixels
// take the exact path unchanged.
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { Detector, type Face } from '../lib';
import { planFastDecode } from '../lib/fast-decode';
import { resolveOptions } from '../lib/options';
import { MODEL_DYNAMIC, PHOTOS } from './helpers/shared';

const canvas = { width: 640, height: 640 };

t.test('plan: only JPEGs at least 3x the letterbox, sized as the native letterbox sizes them', async (t) => {
  t.same(planFastDecode({ width: 4000, height: 3000, format: 'jpeg' }, canvas), {
    width: 640,
    height: 480,
    sourceWidth: 4000,
    sourceHeight: 3000,
  });
  t.same(
    planFastDecode({ width: 3000, height: 4000, format: 'jpeg', display: { width: 4000, height: 3000 } }, canvas),
    { width: 640, height: 480, sourceWidth: 4000, sourceHeight: 3000 },
    'EXIF-rotated: the display size counts',
  );
  t.equal(planFastDecode({ width: 1024, height: 768, format: 'jpeg' }, canvas), undefined, 'under 3x: exact');
  t.equal(planFastDecode({ width: 4000, height: 3000, format: 'png' }, canvas), undefined, 'not a JPEG: exact');
  t.equal(planFastDecode({ width: 4000, height: 3000 }, canvas), undefined, 'raw pixels: exact');
  // 1925 x 1083 -> scale 0.3325, 1083 * scale = 360.0 (half-way values round to even as std::nearbyint does)
  t.same(planFastDecode({ width: 2000, height: 1125, format: 'jpeg' }, canvas), {
    width: 640,
    height: 360,
    sourceWidth: 2000,
    sourceHeight: 1125,
  });
});

t.test('options: decode is exact by default; anything but exact/fast is refused', async (t) => {
  t.equal(resolveOptions({}).decode, 'exact');
  t.equal(resolveOptions({ decode: 'fast' }).decode, 'fast');
  t.throws(() => resolveOptions({ decode: 'quick' as never }), { code: 'INVALID_ARGUMENT' });
});

function iou(a: Face['box'], b: Face['box']): number {
  const w = Math.max(0, Math.min(a[2], b[2]) - Math.max(a[0], b[0])),
    h = Math.max(0, Math.min(a[3], b[3]) - Math.max(a[1], b[1]));
  return (w * h) / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - w * h);
}

t.test('faces in original pixels, where the exact decode finds them', async (t) => {
  const exact = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu' });
  const fast = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', decode: 'fast' });
  t.teardown(async () => {
    await exact.close();
    await fast.close();
  });
  // 2000 x 1428 and 1986 x 1545: over 3x 640, so decoded at 1/2 then reduced to 640 wide.
  for (const file of ['fr_obama_and_biden.jpg', 'dlib_bald_guys.jpg']) {
    const input = path.join(PHOTOS, file);
    const [a, b] = await Promise.all([exact.detect(input), fast.detect(input)]);
    t.equal(b.length, a.length, `${file}: same number of faces`);
    for (const face of a) {
      const match = b.reduce((best, g) => (iou(face.box, g.box) > iou(face.box, best.box) ? g : best), b[0]!);
      t.ok(
        iou(face.box, match.box) > 0.85,
        `${file}: face at [${face.box.map((v) => v.toFixed(0))}] within IoU 0.85 (${iou(face.box, match.box).toFixed(3)})`,
      );
    }
  }
  // A rotated (EXIF orientation 6) copy: boxes in the displayed image's pixels, matching the exact path.
  const rotated = await sharp(path.join(PHOTOS, 'fr_obama_and_biden.jpg'))
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toBuffer();
  const [a, b] = await Promise.all([exact.detect(rotated), fast.detect(rotated)]);
  t.equal(b.length, a.length, 'rotated: same number of faces');
  for (const face of a) t.ok(Math.max(...b.map((g) => iou(face.box, g.box))) > 0.85, 'rotated: same place');
  // Under 3x: the exact path, bit for bit.
  const small = path.join(PHOTOS, 'fr_two_people.jpg');
  t.same(await fast.detect(small), await exact.detect(small), 'a 1126 px JPEG is decoded exactly');
});
