/**
 * The installed package's root (package.json, models/, the addon's build/ or prebuilds/) and its version, found from
 * here whether running lib/ or dist/lib/.
 */
import fs from 'node:fs';
import path from 'node:path';

let cached: { root: string; version: string } | undefined;

export function packageInfo(): { root: string; version: string } {
  if (cached) return cached;
  for (let dir = __dirname; ; dir = path.dirname(dir)) {
    const file = path.join(dir, 'package.json');
    if (fs.existsSync(file)) {
      const json = JSON.parse(fs.readFileSync(file, 'utf8')) as { name?: string; version?: string };
      if (json.name === 'retinaface-trt') return (cached = { root: dir, version: json.version ?? '0.0.0' });
    }
    if (path.dirname(dir) === dir) throw new Error(`retinaface-trt: package.json not found above ${__dirname}`);
  }
}
