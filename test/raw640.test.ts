// Acceptance 1 of the foundation: native decode + NMS on PyTorch's raw 640x640 outputs reproduce the reference
// detections (photos_lb640.json, threshold 0.02, NMS 0.4): same count, boxes and landmarks within 1e-3 px, scores
// within 1e-5. Also: our letterbox resize reproduces the reference's network input pixel for pixel (within 1 level).
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { binding, type Letterbox } from '../lib/binding';
import { unpackFaces } from '../lib/faces';
import { decodeImage } from '../lib/image';
import { loadReference, PHOTOS, readF32, REFERENCE } from './helpers/shared';

const RAW = path.join(REFERENCE, 'raw640');
const PHOTOS_WITH_RAW = [
  'fr_two_people.jpg',
  'rf_curve_test.jpg',
  'dlib_voc_2008_002470.jpg',
  'fr_32bit.png',
  'dlib_cars_noface.jpg',
];
const reference = loadReference('photos_lb640.json');
const upstream = { scoreThreshold: 0.02, nmsThreshold: 0.4, preNmsTopK: 0, maxFaces: 0, clip: false };

function letterboxOf(name: string): Letterbox {
  const ref = reference.get(name)!;
  return {
    sourceWidth: ref.width,
    sourceHeight: ref.height,
    inputWidth: 640,
    inputHeight: 640,
    resizedWidth: Math.round(ref.width * ref.resize),
    resizedHeight: Math.round(ref.height * ref.resize),
    scale: ref.resize,
  };
}

t.test('decode + NMS reproduce the reference on raw 640 outputs', async (t) => {
  let worstBox = 0,
    worstLandmark = 0,
    worstScore = 0,
    total = 0;
  for (const name of PHOTOS_WITH_RAW) {
    const stem = name.replace(/\.\w+$/, '');
    const outputs = {
      loc: readF32(path.join(RAW, `${stem}.loc.f32`)),
      conf: readF32(path.join(RAW, `${stem}.conf.f32`)),
      landms: readF32(path.join(RAW, `${stem}.landms.f32`)),
    };
    const { faces, counts } = binding().postprocess(outputs, [letterboxOf(name)], upstream);
    const ours = unpackFaces(faces, counts)[0]!;
    const ref = reference.get(name)!.dets;
    t.equal(ours.length, ref.length, `${name}: same number of detections`);
    for (let i = 0; i < Math.min(ours.length, ref.length); i++) {
      const o = ours[i]!,
        r = ref[i]!;
      worstBox = Math.max(worstBox, ...o.box.map((v, k) => Math.abs(v - r.box[k]!)));
      worstLandmark = Math.max(worstLandmark, ...o.landmarks.flat().map((v, k) => Math.abs(v - r.landmarks[k]!)));
      worstScore = Math.max(worstScore, Math.abs(o.score - r.score));
    }
    total += ref.length;
  }
  t.comment(
    `${total} detections; max |box diff| ${worstBox.toExponential(2)} px, max |landmark diff| ` +
      `${worstLandmark.toExponential(2)} px, max |score diff| ${worstScore.toExponential(2)}`,
  );
  // The reference rounds coordinates to 3 decimals and scores to 6: 1e-3 px includes that rounding.
  t.ok(worstBox <= 1e-3, `boxes within 1e-3 px (max ${worstBox})`);
  t.ok(worstLandmark <= 1e-3, `landmarks within 1e-3 px (max ${worstLandmark})`);
  t.ok(worstScore <= 1e-5, `scores within 1e-5 (max ${worstScore})`);
});

t.test('wrong-sized outputs are a typed MODEL_OUTPUT_MISMATCH error', async (t) => {
  const n = 16800;
  const outputs = {
    loc: new Float32Array(n * 4),
    conf: new Float32Array(n * 2),
    landms: new Float32Array(n * 10 - 10),
  };
  t.throws(() => binding().postprocess(outputs, [letterboxOf('fr_two_people.jpg')], upstream), {
    code: 'MODEL_OUTPUT_MISMATCH',
  });
});

t.test('letterbox preprocessing reproduces the reference network input', async (t) => {
  for (const name of PHOTOS_WITH_RAW) {
    const stem = name.replace(/\.\w+$/, '');
    const image = await decodeImage(path.join(PHOTOS, name), { maxPixels: 1e8, minSide: 1 });
    const tensor = new Float32Array(3 * 640 * 640);
    const [lb] = await binding().preprocess([image], { width: 640, height: 640 }, tensor);
    t.same(lb, letterboxOf(name), `${name}: same letterbox geometry as the reference`);
    const { data } = await sharp(path.join(RAW, `${stem}.input640_bgr.png`))
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    const plane = 640 * 640;
    const means = [104, 117, 123];
    let maxDiff = 0,
      differing = 0;
    for (let i = 0; i < plane; i++) {
      for (let c = 0; c < 3; c++) {
        // tensor planes are B, G, R; the PNG is RGB.
        const expected = data[3 * i + (2 - c)]! - means[c]!;
        const diff = Math.abs(tensor[c * plane + i]! - expected);
        if (diff > 0) differing++;
        maxDiff = Math.max(maxDiff, diff);
      }
    }
    t.comment(`${name}: max |diff| ${maxDiff}, ${((100 * differing) / (3 * plane)).toFixed(3)}% of values differ`);
    t.ok(maxDiff <= 1, `${name}: every input value within 1 level of the reference`);
  }
});
