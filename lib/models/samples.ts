/**
 * Sample photos shipped in the npm package (samples/, copied by the prepack step with their licences in
 * samples/LICENSES.md), for `retinaface verify` and the README's first command. A git checkout has none.
 */
import fs from 'node:fs';
import path from 'node:path';
import { packageInfo } from '../package-root';

const PHOTO = /\.(jpe?g|png|webp)$/i;

/** Absolute paths of the shipped sample photos, sorted by name; empty where there are none. */
export function samplePhotos(root: string = packageInfo().root): string[] {
  const dir = path.join(root, 'samples');
  let names: string[];
  try {
    names = fs.readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((name) => PHOTO.test(name))
    .sort()
    .map((name) => path.join(dir, name));
}
