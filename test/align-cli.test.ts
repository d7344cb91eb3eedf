// `retinaface detect --annotate --crops` as users run it (compiled: `npm run build` first; `npm test` does it).
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { MODEL_DYNAMIC, PHOTOS } from './helpers/shared';

const cli = path.resolve(__dirname, '../dist/lib/cli/main.js');
const run = (args: string[]) => spawnSync(process.execPath, [cli, ...args], { encoding: 'utf8' });

t.test('detect --annotate out.jpg --crops dir: the picture, one PNG and one JSON sidecar per face', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-align-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const image = path.join(PHOTOS, 'fr_obama_and_biden.jpg');
  const annotated = path.join(dir, 'out.jpg');
  const crops = path.join(dir, 'crops');
  const result = run(['detect', '--json', '--model', MODEL_DYNAMIC, image, '--annotate', annotated, '--crops', crops]);
  t.equal(result.status, 0, result.stderr);
  const faces = (JSON.parse(result.stdout) as { images: Record<string, { score: number }[]> }).images[image]!;
  t.equal(faces.length, 3);

  const meta = await sharp(annotated).metadata();
  const source = await sharp(image).metadata();
  t.equal(meta.format, 'jpeg');
  t.equal(meta.width, source.width);
  t.equal(meta.height, source.height);

  t.same(
    fs.readdirSync(crops).sort(),
    ['0', '1', '2'].flatMap((i) => [`fr_obama_and_biden_${i}.json`, `fr_obama_and_biden_${i}.png`]),
  );
  for (let i = 0; i < 3; i++) {
    const crop = await sharp(path.join(crops, `fr_obama_and_biden_${i}.png`)).metadata();
    t.equal(crop.width, 112);
    t.equal(crop.height, 112);
    const sidecar = JSON.parse(fs.readFileSync(path.join(crops, `fr_obama_and_biden_${i}.json`), 'utf8')) as {
      score: number;
      size: number;
      matrix: number[][];
      inverse: number[][];
      landmarks: number[][];
    };
    t.equal(sidecar.score, faces[i]!.score);
    t.equal(sidecar.size, 112);
    t.equal(sidecar.matrix.length, 2);
    t.equal(sidecar.inverse[1]!.length, 3);
    t.equal(sidecar.landmarks.length, 5);
  }
});

t.test('--crop-size and a PNG annotation; several images get one picture each', async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-align-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const images = ['fr_two_people.jpg', 'dlib_cars_noface.jpg'].map((name) => path.join(PHOTOS, name));
  const result = run([
    'detect',
    '--model',
    MODEL_DYNAMIC,
    ...images,
    '--annotate',
    path.join(dir, 'a.png'),
    '--crops',
    dir,
    '--crop-size',
    '128',
  ]);
  t.equal(result.status, 0, result.stderr);
  t.equal((await sharp(path.join(dir, 'a-fr_two_people.png')).metadata()).format, 'png');
  t.ok(fs.existsSync(path.join(dir, 'a-dlib_cars_noface.png')), 'an image without faces is still drawn');
  t.equal((await sharp(path.join(dir, 'fr_two_people_0.png')).metadata()).width, 128);
  const bad = run(['detect', '--model', MODEL_DYNAMIC, images[0]!, '--crops', dir, '--crop-size', '8']);
  t.equal(bad.status, 1);
  t.match(bad.stderr, /INVALID_ARGUMENT/);
});
