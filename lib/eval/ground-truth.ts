/**
 * WIDER FACE ground truth in one in-memory form, loaded from our gt.json or from the official .mat files
 * (wider_face_val.mat + wider_{easy,medium,hard}_val.mat). docs/ground-truth.md describes both inputs.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RetinaFaceError } from '../errors';
import { type MatValue, matString, readMatFile } from './matfile';

export const SETTINGS = ['easy', 'medium', 'hard'] as const;
export type Setting = (typeof SETTINGS)[number];

export const ATTRIBUTES = ['blur', 'expression', 'illumination', 'invalid', 'occlusion', 'pose'] as const;
export type Attribute = (typeof ATTRIBUTES)[number];

/** [x, y, w, h] in pixels, x,y = top-left, as the WIDER annotation stores them. */
export type GtBox = [x: number, y: number, w: number, h: number];

export interface GroundTruthImage {
  /** '<event>/<name>.jpg', the image's path under WIDER_val/images. */
  file: string;
  event: string;
  /** File name without extension, as in the .mat file_list. */
  name: string;
  boxes: GtBox[];
  /** Per setting, 0-based indices of the boxes that count; every other box is an ignore region for it. */
  keep: Record<Setting, number[]>;
  /** Per-box attribute labels, where the source has them. */
  attributes: Partial<Record<Attribute, number[]>>;
}

export interface GroundTruth {
  /** The file or folder it was loaded from. */
  source: string;
  /** In the source's order (the .mat order for the official files). */
  images: GroundTruthImage[];
}

const MAT_FILES = {
  face: 'wider_face_val.mat',
  easy: 'wider_easy_val.mat',
  medium: 'wider_medium_val.mat',
  hard: 'wider_hard_val.mat',
} as const;

function invalid(source: string, detail: string, cause?: unknown): RetinaFaceError {
  return new RetinaFaceError(
    'GROUND_TRUTH_INVALID',
    `ground truth ${source}: ${detail}`,
    cause ? { cause } : undefined,
  );
}

/**
 * Loads ground truth from a gt.json file, a folder holding the four official .mat files, or wider_face_val.mat itself
 * (the three setting files are then read from beside it).
 */
export function loadGroundTruth(source: string): GroundTruth {
  if (typeof source !== 'string' || source === '') {
    throw new RetinaFaceError('INVALID_ARGUMENT', 'the ground truth must be given as a path');
  }
  let stat: fs.Stats;
  try {
    stat = fs.statSync(source);
  } catch {
    throw new RetinaFaceError(
      'GROUND_TRUTH_NOT_FOUND',
      `no ground truth at '${source}' (expected gt.json, a ground_truth folder with the WIDER .mat files, or ${MAT_FILES.face})`,
    );
  }
  if (stat.isDirectory()) return loadMatGroundTruth(source);
  const head = readHead(source);
  if (head.startsWith('MATLAB')) return loadMatGroundTruth(path.dirname(source), source);
  return loadJsonGroundTruth(source);
}

function readHead(file: string): string {
  const fd = fs.openSync(file, 'r');
  try {
    const buffer = Buffer.alloc(16);
    const n = fs.readSync(fd, buffer, 0, 16, 0);
    return buffer.subarray(0, n).toString('latin1');
  } finally {
    fs.closeSync(fd);
  }
}

// ---- gt.json ----------------------------------------------------------------------------------------------------

function isIntArray(value: unknown): value is number[] {
  return Array.isArray(value) && value.every((v) => Number.isInteger(v));
}

/** Reads gt.json: { images: [{ file, event?, boxes: [[x,y,w,h]...], easy, medium, hard, <attributes>? }] }. */
export function loadJsonGroundTruth(file: string): GroundTruth {
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (error) {
    throw invalid(file, `not valid JSON (${(error as Error).message})`, error);
  }
  const records = (json as { images?: unknown } | null)?.images;
  if (!Array.isArray(records)) throw invalid(file, "expected an object with an 'images' array");
  const images = records.map((record: unknown, i): GroundTruthImage => {
    const r = record as Record<string, unknown> | null;
    const where = `images[${i}]`;
    if (typeof r !== 'object' || r === null || typeof r.file !== 'string' || !/^[^/]+\/[^/]+$/.test(r.file)) {
      throw invalid(file, `${where}: 'file' must be '<event>/<name>.jpg'`);
    }
    const [event, base] = r.file.split('/') as [string, string];
    if (r.event !== undefined && r.event !== event)
      throw invalid(file, `${where}: event '${String(r.event)}' does not match file '${r.file}'`);
    const boxes = r.boxes;
    if (!Array.isArray(boxes) || !boxes.every((b) => isIntArray(b) && b.length === 4)) {
      throw invalid(file, `${where} (${r.file}): 'boxes' must be an array of [x, y, w, h] integer arrays`);
    }
    const keep = {} as Record<Setting, number[]>;
    for (const setting of SETTINGS) {
      const list = r[setting];
      if (!isIntArray(list) || list.some((k) => k < 0 || k >= boxes.length)) {
        throw invalid(
          file,
          `${where} (${r.file}): '${setting}' must be 0-based indices into its ${boxes.length} boxes`,
        );
      }
      keep[setting] = list;
    }
    const attributes: GroundTruthImage['attributes'] = {};
    for (const attribute of ATTRIBUTES) {
      const list = r[attribute];
      if (list === undefined) continue;
      if (!isIntArray(list) || list.length !== boxes.length) {
        throw invalid(file, `${where} (${r.file}): '${attribute}' must hold one integer per box`);
      }
      attributes[attribute] = list;
    }
    return { file: r.file, event, name: base.replace(/\.[^.]*$/, ''), boxes: boxes as GtBox[], keep, attributes };
  });
  return { source: file, images: checkUnique(file, images) };
}

// ---- official .mat files ----------------------------------------------------------------------------------------

/** A cell array's cells (throws GROUND_TRUTH_INVALID for anything else). */
function cellsOf(file: string, value: MatValue | undefined, what: string): MatValue[] {
  if (value?.type !== 'cell') throw invalid(file, `'${what}' is not a cell array`);
  return value.cells;
}

/** An n x k numeric matrix as rows (MATLAB stores column-major). */
function rowsOf(file: string, value: MatValue | undefined, what: string, k: number): number[][] {
  if (value?.type !== 'numeric') throw invalid(file, `${what} is not a numeric array`);
  const n = value.data.length === 0 ? 0 : value.dims[0]!;
  if (value.data.length !== n * k) throw invalid(file, `${what} is ${value.dims.join('x')}, expected Nx${k}`);
  return Array.from({ length: n }, (_, i) => Array.from({ length: k }, (_, j) => value.data[i + j * n]!));
}

function readMat(file: string): Map<string, MatValue> {
  if (!fs.existsSync(file)) {
    throw new RetinaFaceError(
      'GROUND_TRUTH_NOT_FOUND',
      `no ground-truth file '${file}' (WIDER needs ${Object.values(MAT_FILES).join(', ')})`,
    );
  }
  try {
    return readMatFile(file);
  } catch (error) {
    throw invalid(file, `not a readable MATLAB v5 file (${(error as Error).message})`, error);
  }
}

/**
 * Reads the official files: face_bbx_list / event_list / file_list (and the attribute lists) of wider_face_val.mat,
 * and gt_list (1-based indices) of each setting's file.
 */
export function loadMatGroundTruth(folder: string, faceFile = path.join(folder, MAT_FILES.face)): GroundTruth {
  const face = readMat(faceFile);
  const settings = Object.fromEntries(
    SETTINGS.map((s) => {
      const file = path.join(folder, MAT_FILES[s]);
      return [s, { file, lists: cellsOf(file, readMat(file).get('gt_list'), 'gt_list') }];
    }),
  ) as Record<Setting, { file: string; lists: MatValue[] }>;

  const events = cellsOf(faceFile, face.get('event_list'), 'event_list');
  const fileLists = cellsOf(faceFile, face.get('file_list'), 'file_list');
  const boxLists = cellsOf(faceFile, face.get('face_bbx_list'), 'face_bbx_list');
  const attributeLists = ATTRIBUTES.map((a) => [a, face.get(`${a}_label_list`)] as const);
  if (fileLists.length !== events.length || boxLists.length !== events.length) {
    throw invalid(faceFile, 'event_list, file_list and face_bbx_list have different lengths');
  }
  for (const s of SETTINGS) {
    if (settings[s].lists.length !== events.length)
      throw invalid(settings[s].file, `gt_list has ${settings[s].lists.length} events, expected ${events.length}`);
  }

  const images: GroundTruthImage[] = [];
  events.forEach((eventValue, e) => {
    let event: string;
    try {
      event = matString(eventValue);
    } catch (error) {
      throw invalid(faceFile, `event_list{${e + 1}} is not a string`, error);
    }
    const names = cellsOf(faceFile, fileLists[e], `file_list{${e + 1}}`);
    const boxCells = cellsOf(faceFile, boxLists[e], `face_bbx_list{${e + 1}}`);
    if (boxCells.length !== names.length)
      throw invalid(faceFile, `event ${event}: ${names.length} files but ${boxCells.length} box lists`);
    names.forEach((nameValue, j) => {
      const name = nameValue.type === 'char' ? nameValue.rows.join('') : '';
      if (name === '') throw invalid(faceFile, `file_list{${e + 1}}{${j + 1}} is not a file name`);
      const where = `${event}/${name}`;
      const boxes = rowsOf(faceFile, boxCells[j], `face_bbx_list of ${where}`, 4) as GtBox[];
      const keep = {} as Record<Setting, number[]>;
      for (const s of SETTINGS) {
        const { file, lists } = settings[s];
        const perImage = cellsOf(file, lists[e], `gt_list{${e + 1}}`);
        const indices = rowsOf(file, perImage[j], `gt_list of ${where}`, 1).map((row) => row[0]! - 1);
        if (indices.some((k) => !Number.isInteger(k) || k < 0 || k >= boxes.length)) {
          throw invalid(file, `gt_list of ${where} has an index outside 1..${boxes.length}`);
        }
        keep[s] = indices;
      }
      const attributes: GroundTruthImage['attributes'] = {};
      for (const [attribute, list] of attributeLists) {
        if (list?.type !== 'cell') continue;
        const cells = list.cells[e];
        if (cells?.type !== 'cell') continue;
        const labels = rowsOf(faceFile, cells.cells[j], `${attribute}_label_list of ${where}`, 1).map((row) => row[0]!);
        if (labels.length === boxes.length) attributes[attribute] = labels;
      }
      images.push({ file: `${event}/${name}.jpg`, event, name, boxes, keep, attributes });
    });
  });
  return { source: folder, images: checkUnique(faceFile, images) };
}

function checkUnique(source: string, images: GroundTruthImage[]): GroundTruthImage[] {
  const seen = new Set<string>();
  for (const image of images) {
    if (seen.has(image.file)) throw invalid(source, `image ${image.file} appears twice`);
    seen.add(image.file);
  }
  if (images.length === 0) throw invalid(source, 'no images');
  return images;
}
