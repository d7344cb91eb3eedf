// The `retinaface` command as users run it (compiled: `npm run build` first; `npm test` does it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { MODEL_DYNAMIC, PHOTOS } from './helpers/shared';

const cli = path.resolve(__dirname, '../dist/lib/cli/main.js');
const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
  spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });

t.test('detect --json prints faces per image', async (t) => {
  const result = run(['detect', '--json', '--model', MODEL_DYNAMIC, path.join(PHOTOS, 'fr_obama_and_biden.jpg'), path.join(PHOTOS, 'dlib_cars_noface.jpg')]);
  t.equal(result.status, 0, result.stderr);
  const out = JSON.parse(result.stdout) as { backend: { name: string }; images: Record<string, { score: number }[]> };
  t.equal(out.backend.name, 'cpu');
  t.equal(out.images[path.join(PHOTOS, 'fr_obama_and_biden.jpg')]!.length, 3);
  t.equal(out.images[path.join(PHOTOS, 'dlib_cars_noface.jpg')]!.length, 0);
});

t.test('text output, model from RETINAFACE_MODEL, score option', async (t) => {
  const result = run(['detect', '--score', '0.9', path.join(PHOTOS, 'fr_two_people.jpg')], { RETINAFACE_MODEL: MODEL_DYNAMIC });
  t.equal(result.status, 0, result.stderr);
  t.match(result.stdout, /fr_two_people\.jpg: 2 faces/);
  t.match(result.stdout, /score 0\.9\d\d {2}box \[/);
  t.match(result.stderr, /backend: cpu/);
});

t.test('errors: bad image is reported with its code and a non-zero exit; no model is a clear message', async (t) => {
  const bad = run(['detect', '--model', MODEL_DYNAMIC, __filename]);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /IMAGE_DECODE_FAILED/);
  const emptyCache = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-cli-'));
  t.teardown(() => fs.rmSync(emptyCache, { recursive: true, force: true }));
  const noModel = run(['detect', path.join(PHOTOS, 'fr_two_people.jpg')], { RETINAFACE_MODEL: '', RETINAFACE_HOME: emptyCache, RETINAFACE_OFFLINE: '1' });
  t.equal(noModel.status, 2);
  t.match(noModel.stderr, /MODEL_NOT_FOUND.*RETINAFACE_MODEL/);
  const help = run(['--help']);
  t.equal(help.status, 0);
  t.match(help.stdout, /detect/);
});
