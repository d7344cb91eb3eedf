/**
 * The official WIDER FACE submission format: one text file per image at <out>/<event>/<name>.txt holding
 *
 *   <name>            image file name without extension
 *   <count>           number of detections
 *   x y w h score     one line per detection: integer pixels, top-left corner, width, height
 *
 * Boxes are written the way the reference test_widerface.py writes them: each coordinate truncated toward zero, then
 * w = int(x2) - int(x1), h = int(y2) - int(y1). The evaluator reads exactly these integers, so the conversion is part
 * of the measured accuracy.
 */
import fs from 'node:fs';
import path from 'node:path';
import { RetinaFaceError } from '../errors';
import type { WiderDetection } from './protocol';

/** Anything with an [x1, y1, x2, y2] box and a score, such as the detector's Face. */
export interface ScoredBox {
  box: readonly [number, number, number, number] | readonly number[];
  score: number;
}

/** A face box in the integer x, y, w, h form of the submission files. */
export function toWiderDetection(face: ScoredBox): WiderDetection {
  const [x1, y1, x2, y2] = face.box.map(Math.trunc) as [number, number, number, number];
  return [x1, y1, x2 - x1, y2 - y1, face.score];
}

/**
 * The shortest decimal that reads back as the same float32 (what Python prints for a numpy float32 score), so files
 * stay short and round-trip exactly for float32 scores.
 */
export function formatScore(score: number): string {
  const f = Math.fround(score);
  if (!Number.isFinite(f)) return String(score);
  for (let digits = 1; digits <= 9; digits++) {
    const text = f.toPrecision(digits);
    if (Math.fround(Number(text)) === f) return String(Number(text));
  }
  return String(f);
}

function splitKey(key: string): { event: string; name: string } {
  const parts = key.split('/');
  if (parts.length !== 2 || !parts[0] || !parts[1]) {
    throw new RetinaFaceError('INVALID_ARGUMENT', `image key '${key}' is not '<event>/<name>.jpg'`);
  }
  return { event: parts[0], name: parts[1].replace(/\.[^.]*$/, '') };
}

/** The text of one image's file. */
export function formatSubmissionFile(name: string, detections: readonly WiderDetection[]): string {
  const lines = [name, String(detections.length)];
  for (const [x, y, w, h, score] of detections) lines.push(`${x} ${y} ${w} ${h} ${formatScore(score)}`);
  return lines.join('\n') + '\n';
}

/** Writes one file per image; keys are '<event>/<name>.jpg'. Returns the number of files written. */
export function writeSubmission(dir: string, detections: ReadonlyMap<string, readonly WiderDetection[]>): number {
  for (const [key, dets] of detections) {
    const { event, name } = splitKey(key);
    fs.mkdirSync(path.join(dir, event), { recursive: true });
    fs.writeFileSync(path.join(dir, event, `${name}.txt`), formatSubmissionFile(name, dets));
  }
  return detections.size;
}

/** Parses one file; `where` names it in errors. */
export function parseSubmissionFile(text: string, where: string): { name: string; detections: WiderDetection[] } {
  const bad = (detail: string) => new RetinaFaceError('INVALID_ARGUMENT', `${where}: ${detail}`);
  const lines = text.split(/\r?\n/);
  const name = (lines[0] ?? '')
    .trim()
    .split('/')
    .pop()!
    .replace(/\.jpg$/i, '');
  if (name === '') throw bad('the first line must be the image name');
  const count = Number((lines[1] ?? '').trim());
  if (!Number.isInteger(count) || count < 0)
    throw bad(`the second line must be the number of detections, got '${lines[1] ?? ''}'`);
  const detections: WiderDetection[] = [];
  for (let i = 2; i < lines.length; i++) {
    const line = lines[i]!.trim();
    if (line === '') continue;
    const values = line.split(/\s+/).slice(0, 5).map(Number);
    if (values.length < 5 || values.some((v) => !Number.isFinite(v)))
      throw bad(`line ${i + 1} is not 'x y w h score': '${line}'`);
    detections.push(values as WiderDetection);
  }
  if (detections.length !== count) throw bad(`says ${count} detections but lists ${detections.length}`);
  return { name, detections };
}

/** Reads a submission folder back: keys '<event>/<name>.jpg', detections in file order. */
export function readSubmission(dir: string): Map<string, WiderDetection[]> {
  if (!fs.existsSync(dir) || !fs.statSync(dir).isDirectory()) {
    throw new RetinaFaceError('INVALID_ARGUMENT', `no submission folder at '${dir}'`);
  }
  const out = new Map<string, WiderDetection[]>();
  for (const event of fs.readdirSync(dir, { withFileTypes: true })) {
    if (!event.isDirectory()) continue;
    for (const file of fs.readdirSync(path.join(dir, event.name)).sort()) {
      if (!file.endsWith('.txt')) continue;
      const where = path.join(dir, event.name, file);
      const { name, detections } = parseSubmissionFile(fs.readFileSync(where, 'utf8'), where);
      out.set(`${event.name}/${name}.jpg`, detections);
    }
  }
  return out;
}
