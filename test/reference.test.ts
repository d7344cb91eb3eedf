// Acceptance 2 of the foundation: our whole pipeline (sharp decode, native preprocess, onnxruntime, native decode +
// NMS) against the original PyTorch implementation on the same images.
// Original scale: every reference face scoring >= 0.5 is matched by one of ours at IoU >= 0.98 with a mean landmark
// error <= 0.5 px, and we report nothing >= 0.5 the reference lacks. Letterboxed to 640: >= 95% matched at IoU >= 0.9.

import path from 'node:path';
import t, { type Test } from 'tap';
import { Detector } from '../lib';
import { compareWithReference, type ParityReport } from './helpers/parity';
import { loadReference, MODEL_DYNAMIC, PHOTOS, widerSample, WIDER_IMAGES } from './helpers/shared';

const WIDER_COUNT = Number(process.env.RETINAFACE_PARITY_IMAGES ?? 100);
// The reference's own settings: threshold 0.02, NMS 0.4, no caps, no clipping.
const upstream = { scoreThreshold: 0.02, nmsThreshold: 0.4, preNmsTopK: 0, maxFaces: 0, clip: false } as const;

interface Totals {
  refFaces: number;
  matched: number;
  extra: number;
  worstIou: number;
  worstLandmark: number;
  failures: string[];
}

async function runParity(
  t: Test,
  inputSize: 'original' | 640,
  refFile: string,
  wider: string,
  iouFloor: number,
): Promise<Totals> {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', inputSize, ...upstream });
  t.teardown(() => detector.close());
  const totals: Totals = { refFaces: 0, matched: 0, extra: 0, worstIou: 1, worstLandmark: 0, failures: [] };
  const jobs: [string, string][] = [
    ...[...loadReference(`photos_${refFile}.json`).keys()].map(
      (n) => [path.join(PHOTOS, n), `photos_${refFile}.json`] as [string, string],
    ),
  ];
  const widerRef = loadReference(wider);
  for (const name of widerSample([...widerRef.keys()], WIDER_COUNT)) jobs.push([path.join(WIDER_IMAGES, name), wider]);
  const refs = new Map<string, ReturnType<typeof loadReference>>();
  for (const [file, ref] of jobs) {
    if (!refs.has(ref)) refs.set(ref, loadReference(ref));
    const key = ref === wider ? path.relative(WIDER_IMAGES, file) : path.basename(file);
    const refDets = refs.get(ref)!.get(key)!.dets;
    const faces = await detector.detect(file);
    const report: ParityReport = compareWithReference(faces, refDets, 0.5, iouFloor);
    totals.refFaces += report.refFaces;
    totals.matched += report.matched.length;
    totals.extra += report.extra.length;
    for (const m of report.matched) {
      totals.worstIou = Math.min(totals.worstIou, m.iou);
      totals.worstLandmark = Math.max(totals.worstLandmark, m.landmarkError);
    }
    if (report.unmatched.length || report.extra.length) {
      totals.failures.push(`${key}: ${report.unmatched.length} unmatched, ${report.extra.length} extra`);
    }
  }
  t.comment(
    `${jobs.length} images, ${totals.refFaces} reference faces >= 0.5: ${totals.matched} matched at IoU >= ` +
      `${iouFloor} (${((100 * totals.matched) / totals.refFaces).toFixed(2)}%), ${totals.extra} extra; worst matched ` +
      `IoU ${totals.worstIou.toFixed(4)}, worst mean landmark error ${totals.worstLandmark.toFixed(3)} px`,
  );
  return totals;
}

t.test('original scale: every reference face matched at IoU >= 0.98, landmarks <= 0.5 px, nothing extra', async (t) => {
  const totals = await runParity(t, 'original', 'orig', 'widerface_subset_orig.json', 0.98);
  t.ok(totals.refFaces > 300, `a meaningful sample (${totals.refFaces} faces)`);
  t.equal(totals.matched, totals.refFaces, 'all reference faces matched');
  t.equal(totals.extra, 0, 'no extra faces');
  t.ok(totals.worstLandmark <= 0.5, `mean landmark error <= 0.5 px (worst ${totals.worstLandmark})`);
  t.same(totals.failures, [], 'no image with unmatched or extra faces');
});

t.test('640 letterbox: >= 95% of reference faces matched at IoU >= 0.9', async (t) => {
  const totals = await runParity(t, 640, 'lb640', 'widerface_subset_lb640.json', 0.9);
  t.ok(totals.matched / totals.refFaces >= 0.95, `match rate ${(totals.matched / totals.refFaces).toFixed(4)}`);
});
