// WIDER FACE evaluation: our implementation of the official protocol reproduces the reference AP (ap.json) from the
// reference detections, reads the official .mat ground truth like gt.json, fails with typed errors, writes and reads
// the submission format, and scores our own pipeline like the reference on a slice of the validation set.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import zlib from 'node:zlib';
import t, { type Test } from 'tap';
import { evaluateDetections, evaluateWider } from '../lib/eval/evaluate';
import { type GroundTruth, loadGroundTruth, SETTINGS } from '../lib/eval/ground-truth';
import { MatFileError, type MatValue, parseMat, readMatFile } from '../lib/eval/matfile';
import { prCurvesSvg } from '../lib/eval/plot';
import { pixelIoU, vocAp, type WiderDetection } from '../lib/eval/protocol';
import {
  formatScore,
  parseSubmissionFile,
  readSubmission,
  toWiderDetection,
  writeSubmission,
} from '../lib/eval/submission';
import { MODEL_DYNAMIC, REFERENCE, SHARED, WIDER_IMAGES } from './helpers/shared';

const GT_DIR = path.join(SHARED, 'data/widerface-val');
const GT_JSON = path.join(GT_DIR, 'gt.json');
const MAT_DIR = path.join(GT_DIR, 'ground_truth');
const MODEL = process.env.RETINAFACE_MODEL || MODEL_DYNAMIC;

type RefMode = 'orig' | 'lb640';
const apJson = JSON.parse(fs.readFileSync(path.join(REFERENCE, 'ap.json'), 'utf8')) as {
  subset_1096: Record<RefMode, Record<(typeof SETTINGS)[number], number>>;
};

/** Reference detections of one mode, as the detector's Face-like { box, score } per image. */
function referenceDetections(mode: RefMode): Map<string, { box: number[]; score: number }[]> {
  const json = JSON.parse(fs.readFileSync(path.join(REFERENCE, `widerface_subset_${mode}.json`), 'utf8')) as {
    images: Record<string, { dets: number[][] }>;
  };
  return new Map(
    Object.entries(json.images).map(([k, v]) => [k, v.dets.map((d) => ({ box: d.slice(0, 4), score: d[4]! }))]),
  );
}

/**
 * A scratch folder outside the checkout, removed after the test. `links` maps relative paths to files that are
 * symlinked in (shared data is never copied), `files` to contents that are written.
 */
function scratch(t: Test, links: Record<string, string> = {}, files: Record<string, string> = {}): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-eval-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const place = (rel: string) => {
    const full = path.join(dir, rel);
    fs.mkdirSync(path.dirname(full), { recursive: true });
    return full;
  };
  for (const [rel, target] of Object.entries(links)) fs.symlinkSync(target, place(rel));
  for (const [rel, text] of Object.entries(files)) fs.writeFileSync(place(rel), text);
  return dir;
}

let jsonGt: GroundTruth;
let matGt: GroundTruth;
t.before(() => {
  jsonGt = loadGroundTruth(GT_JSON);
  matGt = loadGroundTruth(MAT_DIR);
});

t.test('reference detections reproduce ap.json (subset rows) within 0.0005 AP', async (t) => {
  for (const mode of ['orig', 'lb640'] as const) {
    const result = evaluateDetections({ gt: jsonGt, detections: referenceDetections(mode) });
    t.equal(result.images, 1096, `${mode}: all subset images evaluated`);
    t.same(result.faces, { easy: 2593, medium: 4772, hard: 11136 }, `${mode}: counted faces as in SOURCES.md`);
    for (const s of SETTINGS) {
      const expected = apJson.subset_1096[mode][s];
      const diff = Math.abs(result.ap[s] - expected);
      t.comment(`${mode} ${s}: ${result.ap[s].toFixed(6)} vs ${expected.toFixed(6)} (|diff| ${diff.toExponential(2)})`);
      t.ok(diff <= 5e-4, `${mode} ${s} AP within 0.0005 of ap.json`);
    }
  }
});

t.test('.mat ground truth and gt.json are the same data and give the same AP', async (t) => {
  t.equal(matGt.images.length, 3226);
  t.equal(jsonGt.images.length, 3226);
  t.equal(
    matGt.images.reduce((n, i) => n + i.boxes.length, 0),
    39708,
    '39,708 boxes',
  );
  const strip = (gt: GroundTruth) =>
    JSON.stringify(
      gt.images.map(({ file, event, name, boxes, keep, attributes }) => ({
        file,
        event,
        name,
        boxes,
        keep,
        attributes,
      })),
    );
  t.ok(strip(matGt) === strip(jsonGt), 'files, boxes, keep lists and attributes identical');
  const detections = referenceDetections('lb640');
  const a = evaluateDetections({ gt: jsonGt, detections });
  const b = evaluateDetections({ gt: matGt, detections });
  t.same(b.ap, a.ap, 'identical AP');
  t.same(b.curves, a.curves, 'identical PR curves');
  // wider_face_val.mat given directly reads its three setting files from beside it.
  const direct = loadGroundTruth(path.join(MAT_DIR, 'wider_face_val.mat'));
  t.equal(direct.images.length, 3226, 'wider_face_val.mat path works too');
});

t.test('missing or corrupt ground truth and unmatched images are typed errors', async (t) => {
  const dir = scratch(
    t,
    {
      'mat-incomplete/wider_face_val.mat': path.join(MAT_DIR, 'wider_face_val.mat'),
      'images-unrelated/holiday/IMG_0001.jpg': path.join(SHARED, 'data/photos/fr_obama_small.jpg'),
    },
    {
      'broken.json': '{"images": [',
      'wrong-schema.json': JSON.stringify({
        images: [{ file: '0--Parade/a.jpg', boxes: [[1, 2, 3]], easy: [], medium: [], hard: [] }],
      }),
      'bad-index.json': JSON.stringify({
        images: [{ file: '0--Parade/a.jpg', boxes: [[1, 2, 3, 4]], easy: [1], medium: [], hard: [] }],
      }),
      'mat-corrupt/wider_face_val.mat': 'MATLAB 5.0 MAT-file, corrupt' + 'x'.repeat(200),
      'images-empty/readme.txt': 'no images here',
    },
  );

  t.throws(() => loadGroundTruth(path.join(dir, 'nope.json')), {
    code: 'GROUND_TRUTH_NOT_FOUND',
    message: /nope\.json/,
  });
  t.throws(() => loadGroundTruth(path.join(dir, 'broken.json')), {
    code: 'GROUND_TRUTH_INVALID',
    message: /not valid JSON/,
  });
  t.throws(() => loadGroundTruth(path.join(dir, 'wrong-schema.json')), {
    code: 'GROUND_TRUTH_INVALID',
    message: /\[x, y, w, h\]/,
  });
  t.throws(() => loadGroundTruth(path.join(dir, 'bad-index.json')), {
    code: 'GROUND_TRUTH_INVALID',
    message: /'easy'/,
  });
  t.throws(() => loadGroundTruth(path.join(dir, 'mat-corrupt')), {
    code: 'GROUND_TRUTH_INVALID',
    message: /MATLAB v5/,
  });
  t.throws(() => loadGroundTruth(path.join(dir, 'mat-incomplete')), {
    code: 'GROUND_TRUTH_NOT_FOUND',
    message: /wider_easy_val\.mat/,
  });

  for (const folder of ['images-unrelated', 'images-empty']) {
    await t.rejects(
      evaluateWider({ images: path.join(dir, folder), gt: jsonGt, model: MODEL }),
      {
        code: 'NO_IMAGES',
        message: /ground truth/,
      },
      `${folder}: NO_IMAGES before any model is loaded`,
    );
  }
  await t.rejects(evaluateWider({ images: path.join(dir, 'absent'), gt: jsonGt }), { code: 'INVALID_ARGUMENT' });
  t.throws(() => evaluateDetections({ gt: jsonGt, detections: { 'holiday/IMG_0001.jpg': [] } }), {
    code: 'NO_IMAGES',
    message: /holiday\/IMG_0001\.jpg/,
  });
});

t.test('our pipeline on 20 images at original scale scores like the reference', async (t) => {
  // Ten images each of two events, through the library's own folder matching.
  const events = ['0--Parade', '12--Group'];
  const links: Record<string, string> = {};
  for (const event of events) {
    for (const file of fs.readdirSync(path.join(WIDER_IMAGES, event)).sort().slice(0, 10)) {
      links[`${event}/${file}`] = path.join(WIDER_IMAGES, event, file);
    }
  }
  const picked = Object.keys(links);
  const dir = scratch(t, links);
  const reference = referenceDetections('orig');
  const expected = evaluateDetections({ gt: jsonGt, detections: new Map(picked.map((k) => [k, reference.get(k)!])) });
  let progressCalls = 0;
  const ours = await evaluateWider({
    images: dir,
    gt: jsonGt,
    model: MODEL,
    inputSize: 'original',
    onProgress: () => progressCalls++,
  });
  t.equal(ours.images, 20);
  t.equal(progressCalls, 20, 'progress reported per image');
  t.ok(
    Math.abs(ours.detections - expected.detections) <= expected.detections * 0.01,
    `detections ${ours.detections} vs reference ${expected.detections}`,
  );
  for (const s of SETTINGS) {
    t.comment(`${s}: ours ${ours.ap[s].toFixed(5)}, reference ${expected.ap[s].toFixed(5)}`);
    t.ok(Math.abs(ours.ap[s] - expected.ap[s]) <= 1e-3, `${s} AP within 0.001 of the reference's on the same images`);
  }
  t.ok(ours.seconds > 0);
  const svg = prCurvesSvg({ curves: ours.curves, ap: ours.ap });
  t.match(svg, /^<svg[^>]*xmlns="http:\/\/www\.w3\.org\/2000\/svg"/);
  t.equal((svg.match(/<polyline/g) ?? []).length, 3, 'three curves');
  t.match(svg, new RegExp(`easy +AP ${(ours.ap.easy * 100).toFixed(2)}`), 'legend carries the AP');
});

t.test('protocol pieces', async (t) => {
  t.equal(pixelIoU([0, 0, 9, 9], [0, 0, 9, 9]), 1, 'identical boxes');
  t.equal(pixelIoU([0, 0, 9, 9], [10, 0, 19, 9]), 0, 'touching boxes do not overlap (+1 convention)');
  t.equal(pixelIoU([0, 0, 9, 9], [5, 0, 14, 9]), 50 / 150, 'half overlap: 5x10 of 150 pixels');
  t.equal(vocAp([0.5, 1], [1, 0.5]), 0.5 + 0.25, 'two-step curve');
  t.equal(vocAp([0.5, 0.5], [0.5, 1]), 0.5, 'envelope takes the best precision at a recall');

  // One image, two counted faces and one ignored box: a detection on the ignored box is neither TP nor FP.
  const gt: GroundTruth = {
    source: 'inline',
    images: [
      {
        file: 'e/x.jpg',
        event: 'e',
        name: 'x',
        attributes: {},
        boxes: [
          [0, 0, 10, 10],
          [100, 0, 10, 10],
          [200, 0, 10, 10],
        ],
        keep: { easy: [0, 1], medium: [0, 1], hard: [0, 1] },
      },
    ],
  };
  // A hit on the first face, the second detection at x, a late hit on the second face.
  const withSecondAt = (x: number) =>
    evaluateDetections({
      gt,
      detections: {
        'e/x.jpg': [
          [0, 0, 10, 10, 0.9],
          [x, 0, 10, 10, 0.8],
          [100, 0, 10, 10, 0.1],
        ],
      },
    });
  const withIgnored = withSecondAt(200);
  t.equal(withIgnored.ap.easy, 1, 'ignored-box hit costs nothing');
  const withFalse = withSecondAt(300);
  t.ok(withFalse.ap.easy < 1, 'a detection on background is a false positive');
  const noFaces = evaluateDetections({ gt, detections: { 'e/x.jpg': [] } });
  t.equal(noFaces.ap.hard, 0, 'no detections: AP 0');
});

t.test('submission format: conversion like test_widerface.py, write/read round trip, parse errors', async (t) => {
  t.same(
    toWiderDetection({ box: [10.9, 20.2, 30.99, 41.5], score: 0.5 }),
    [10, 20, 20, 21, 0.5],
    'int() then w = int(x2) - int(x1)',
  );
  t.same(toWiderDetection({ box: [-0.7, -3.2, 5.5, 6.5], score: 0.5 }), [0, -3, 5, 9, 0.5], 'truncation toward zero');
  const f32 = Math.fround(0.987203240394592);
  t.equal(formatScore(f32), '0.98720324', 'shortest float32 digits, as Python prints numpy float32');
  t.equal(Math.fround(Number(formatScore(f32))), f32);

  const detections = new Map<string, WiderDetection[]>([
    [
      '0--Parade/0_Parade_Parade_0_102.jpg',
      [
        [84, 539, 14, 19, Math.fround(0.987203)],
        [0, -2, 7, 8, Math.fround(0.0213)],
      ],
    ],
    ['12--Group/12_Group_Group_12_Group_Group_12_10.jpg', []],
  ]);
  const dir = scratch(t);
  t.equal(writeSubmission(dir, detections), 2);
  const text = fs.readFileSync(path.join(dir, '0--Parade/0_Parade_Parade_0_102.txt'), 'utf8');
  t.equal(text, '0_Parade_Parade_0_102\n2\n84 539 14 19 0.987203\n0 -2 7 8 0.0213\n', 'file layout');
  const back = readSubmission(dir);
  t.same([...back.keys()].sort(), [...detections.keys()].sort(), 'same images');
  for (const [key, rows] of detections) {
    t.same(
      back.get(key)!.map((r) => [...r.slice(0, 4), Math.fround(r[4])]),
      rows,
      `${key}: same rows`,
    );
  }
  const gtAp = evaluateDetections({ gt: jsonGt, detections });
  const backAp = evaluateDetections({ gt: jsonGt, detections: back });
  t.same(backAp.ap, gtAp.ap, 'same AP after the round trip');

  t.throws(() => parseSubmissionFile('x\n3\n1 2 3 4 0.5\n', 'f.txt'), {
    code: 'INVALID_ARGUMENT',
    message: /says 3 detections but lists 1/,
  });
  t.throws(() => parseSubmissionFile('x\n1\n1 2 three 4 0.5\n', 'f.txt'), {
    code: 'INVALID_ARGUMENT',
    message: /line 3/,
  });
  t.same(
    parseSubmissionFile('a/b/x.jpg\n1\n1 2 3 4 0.5 \n', 'f.txt'),
    { name: 'x', detections: [[1, 2, 3, 4, 0.5]] },
    'path and .jpg in the name line and a trailing space, as upstream writes them',
  );
});

// ---- .mat reader ------------------------------------------------------------------------------------------------

/** A minimal MAT v5 writer for the tests: enough to build every element form the reader handles. */
class MatWriter {
  constructor(private readonly little = true) {}

  private u32(...values: number[]): Buffer {
    const b = Buffer.alloc(4 * values.length);
    values.forEach((v, i) => (this.little ? b.writeUInt32LE(v, 4 * i) : b.writeUInt32BE(v, 4 * i)));
    return b;
  }

  /** A tagged element, padded to 8 bytes (or the small form for <= 4 bytes when asked). */
  element(type: number, data: Buffer, small = false): Buffer {
    if (small && data.length <= 4) {
      const tag = this.u32((data.length << 16) | type);
      return Buffer.concat([tag, data, Buffer.alloc(4 - data.length)]);
    }
    const pad = (8 - (data.length % 8)) % 8;
    return Buffer.concat([this.u32(type, data.length), data, Buffer.alloc(pad)]);
  }

  numbers(type: 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'double', values: number[]): Buffer {
    const spec = { int8: [1, 1], uint8: [2, 1], int16: [3, 2], uint16: [4, 2], int32: [5, 4], double: [9, 8] }[type];
    const [mi, size] = spec as [number, number];
    const b = Buffer.alloc(values.length * size);
    const L = this.little;
    values.forEach((v, i) => {
      const at = i * size;
      if (type === 'int8') b.writeInt8(v, at);
      else if (type === 'uint8') b.writeUInt8(v, at);
      else if (type === 'int16') L ? b.writeInt16LE(v, at) : b.writeInt16BE(v, at);
      else if (type === 'uint16') L ? b.writeUInt16LE(v, at) : b.writeUInt16BE(v, at);
      else if (type === 'int32') L ? b.writeInt32LE(v, at) : b.writeInt32BE(v, at);
      else L ? b.writeDoubleLE(v, at) : b.writeDoubleBE(v, at);
    });
    return this.element(mi, b, values.length * size <= 4);
  }

  /** An miMATRIX element: class code, flags, dims, name, then the class's data elements. */
  matrix(mxClass: number, dims: number[], name: string, body: Buffer[], flags = 0): Buffer {
    const payload = Buffer.concat([
      this.element(6, this.u32(mxClass | (flags << 8), 0)),
      this.numbers('int32', dims),
      this.element(1, Buffer.from(name, 'latin1'), true),
      ...body,
    ]);
    return this.element(14, payload);
  }

  file(elements: Buffer[]): Buffer {
    const header = Buffer.alloc(128, ' ');
    header.write('MATLAB 5.0 MAT-file, written by the retinaface-trt tests', 0, 'latin1');
    header.fill(0, 116, 124);
    (this.little ? header.writeUInt16LE : header.writeUInt16BE).call(header, 0x0100, 124);
    header.write(this.little ? 'IM' : 'MI', 126, 'latin1');
    return Buffer.concat([header, ...elements]);
  }
}

function num(value: MatValue | undefined): number[] {
  if (value?.type !== 'numeric') throw new Error(`not numeric: ${value?.type}`);
  return Array.from(value.data);
}

t.test('matfile: numeric, char, cell, struct, compressed, both byte orders', async (t) => {
  for (const little of [true, false]) {
    const w = new MatWriter(little);
    const order = little ? 'little-endian' : 'big-endian';
    const doubles = w.matrix(6, [2, 3], 'm', [w.numbers('double', [1, 2, 3, 4, 5, 6.5])]);
    // MATLAB stores a double array of small integers with a narrower data type; the class stays double.
    const packed = w.matrix(6, [1, 3], 'packed', [w.numbers('uint8', [7, 8, 255])]);
    const smallInt = w.matrix(8, [1, 2], 'tiny', [w.numbers('int8', [-1, 5])]); // small data element form
    const logical = w.matrix(9, [1, 2], 'flag', [w.numbers('uint8', [1, 0])], 0x02);
    const text = w.matrix(4, [1, 5], 'name', [
      w.numbers(
        'uint16',
        [...'héllo'].map((c) => c.charCodeAt(0)),
      ),
    ]);
    const rows = w.matrix(4, [2, 2], 'rows', [
      w.numbers(
        'uint16',
        [...'acbd'].map((c) => c.charCodeAt(0)),
      ),
    ]);
    const utf8 = w.matrix(4, [1, 2], 'u8', [w.element(16, Buffer.from('ok'), true)]);
    const emptyCell = w.element(14, Buffer.alloc(0));
    const cell = w.matrix(1, [1, 3], 'c', [
      w.matrix(4, [1, 2], '', [w.numbers('uint16', [104, 105])]),
      w.matrix(12, [2, 1], '', [w.numbers('int32', [-7, 70000])]),
      emptyCell,
    ]);
    const fieldNames = Buffer.alloc(16);
    fieldNames.write('a', 0);
    fieldNames.write('bb', 8);
    const struct = w.matrix(2, [1, 1], 's', [
      w.numbers('int32', [8]),
      w.element(1, fieldNames),
      w.matrix(6, [1, 1], '', [w.numbers('double', [3.25])]),
      w.matrix(4, [1, 1], '', [w.numbers('uint16', [122])]),
    ]);
    const compressed = w.element(15, zlib.deflateSync(w.matrix(6, [1, 2], 'z', [w.numbers('double', [0.5, -0.25])])));
    const vars = parseMat(w.file([doubles, packed, smallInt, logical, text, rows, utf8, cell, struct, compressed]));

    t.same(
      [...vars.keys()],
      ['m', 'packed', 'tiny', 'flag', 'name', 'rows', 'u8', 'c', 's', 'z'],
      `${order}: all variables`,
    );
    const m = vars.get('m')!;
    t.same(
      m.type === 'numeric' && { class: m.class, dims: m.dims },
      { class: 'double', dims: [2, 3] },
      `${order}: double 2x3`,
    );
    t.same(num(m), [1, 2, 3, 4, 5, 6.5], `${order}: column-major values`);
    t.same(vars.get('packed'), {
      type: 'numeric',
      class: 'double',
      logical: false,
      dims: [1, 3],
      data: new Float64Array([7, 8, 255]),
    });
    t.same(num(vars.get('tiny')), [-1, 5], `${order}: small data element`);
    t.equal((vars.get('flag') as { logical: boolean }).logical, true, `${order}: logical flag`);
    t.same(vars.get('name'), { type: 'char', dims: [1, 5], rows: ['héllo'] }, `${order}: char`);
    t.same((vars.get('rows') as { rows: string[] }).rows, ['ab', 'cd'], `${order}: multi-row char is column-major`);
    t.same((vars.get('u8') as { rows: string[] }).rows, ['ok'], `${order}: UTF-8 char data`);
    const c = vars.get('c')!;
    if (c.type !== 'cell') throw new Error('cell expected');
    t.same(c.cells[0], { type: 'char', dims: [1, 2], rows: ['hi'] });
    t.same(num(c.cells[1]), [-7, 70000]);
    t.same(
      c.cells[2],
      { type: 'numeric', class: 'double', logical: false, dims: [0, 0], data: new Float64Array(0) },
      'empty cell',
    );
    const s = vars.get('s')!;
    if (s.type !== 'struct') throw new Error('struct expected');
    t.same(Object.keys(s.fields), ['a', 'bb']);
    t.same(num(s.fields.a![0]), [3.25]);
    t.same((s.fields.bb![0] as { rows: string[] }).rows, ['z']);
    t.same(num(vars.get('z')), [0.5, -0.25], `${order}: compressed element`);
  }
});

t.test('matfile: clear errors for what it cannot read', async (t) => {
  const w = new MatWriter();
  t.throws(() => parseMat(Buffer.from('short')), MatFileError);
  t.throws(() => parseMat(Buffer.alloc(200)), { message: /not a MATLAB Level 5/ });
  const v73 = Buffer.alloc(200, ' ');
  v73.write('MATLAB 7.3 MAT-file', 0);
  t.throws(() => parseMat(v73), { message: /v7\.3/ });
  t.throws(() => parseMat(w.file([w.matrix(5, [2, 2], 'sp', [])])), { message: /sparse/ });
  t.throws(
    () => parseMat(w.file([w.matrix(6, [1, 1], 'cx', [w.numbers('double', [1]), w.numbers('double', [2])], 0x08)])),
    {
      message: /complex/,
    },
  );
  const full = w.file([w.matrix(6, [1, 4], 'v', [w.numbers('double', [1, 2, 3, 4])])]);
  t.throws(() => parseMat(full.subarray(0, full.length - 12)), { message: /claims \d+ bytes/ }, 'truncated');
  const badZip = w.file([w.element(15, Buffer.from('not zlib at all'))]);
  t.throws(() => parseMat(badZip), { message: /inflate/ });
});

t.test('matfile: the official WIDER files', async (t) => {
  const face = readMatFile(path.join(MAT_DIR, 'wider_face_val.mat'));
  t.same([...face.keys()].sort(), [
    'blur_label_list',
    'event_list',
    'expression_label_list',
    'face_bbx_list',
    'file_list',
    'illumination_label_list',
    'invalid_label_list',
    'occlusion_label_list',
    'pose_label_list',
  ]);
  const events = face.get('event_list');
  t.equal(events?.type === 'cell' && events.cells.length, 61, '61 events');
  t.same(events?.type === 'cell' && events.cells[0], { type: 'char', dims: [1, 9], rows: ['0--Parade'] });
  const boxes = face.get('face_bbx_list');
  const first = boxes?.type === 'cell' && boxes.cells[0]?.type === 'cell' ? boxes.cells[0].cells[0] : undefined;
  t.same(first?.type === 'numeric' && { class: first.class, dims: first.dims }, { class: 'int32', dims: [126, 4] });
  t.same(
    first?.type === 'numeric' && [first.data[0], first.data[126], first.data[252], first.data[378]],
    [345, 211, 4, 4],
    'first box of 0_Parade_marchingband_1_465 is [345, 211, 4, 4]',
  );
});
