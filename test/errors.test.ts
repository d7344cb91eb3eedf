// Acceptance 4 of the foundation: bad input gets a typed error with a stable code, never a crash, and calls in
// flight alongside a failing one still get their own, correct faces.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { Detector, RetinaFaceError } from '../lib';
import { MODEL_DYNAMIC, PHOTOS } from './helpers/shared';
import { identityModel, lookalikeModel } from './helpers/tiny-onnx';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-errors-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));
const photo = path.join(PHOTOS, 'fr_two_people.jpg');
const jpeg = fs.readFileSync(photo);

t.test('bad images reject with stable codes', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', maxPixels: 4_000_000 });
  t.teardown(() => detector.close());
  const textFile = path.join(tmp, 'notes.txt');
  fs.writeFileSync(textFile, 'this is not an image\n'.repeat(20));
  let seed = 42;
  const random = Buffer.alloc(4096, 0).map(() => (seed = (seed * 1103515245 + 12345) % 2 ** 31) & 0xff);
  const onePixel = await sharp({ create: { width: 1, height: 1, channels: 3, background: '#808080' } })
    .png()
    .toBuffer();
  // A valid PNG header that declares 3000x3000 = 9 MP, over the 4 MP limit: rejected before decoding.
  const huge = await sharp({ create: { width: 3000, height: 3000, channels: 3, background: '#000' } })
    .png()
    .toBuffer();

  const cases: [string, unknown, string][] = [
    ['empty buffer', Buffer.alloc(0), 'IMAGE_EMPTY'],
    ['truncated JPEG', jpeg.subarray(0, Math.floor(jpeg.length / 2)), 'IMAGE_DECODE_FAILED'],
    ['JPEG header only', jpeg.subarray(0, 200), 'IMAGE_DECODE_FAILED'],
    ['random bytes', random, 'IMAGE_DECODE_FAILED'],
    ['text file', textFile, 'IMAGE_DECODE_FAILED'],
    ['missing file', path.join(tmp, 'nope.jpg'), 'IMAGE_NOT_FOUND'],
    ['1x1 image', onePixel, 'IMAGE_TOO_SMALL'],
    ['image over the pixel limit', huge, 'IMAGE_TOO_LARGE'],
    [
      'raw pixels over the pixel limit',
      { data: new Uint8Array(3000 * 3000), width: 3000, height: 3000, channels: 1 },
      'IMAGE_TOO_LARGE',
    ],
    ['raw pixels, wrong length', { data: new Uint8Array(10), width: 10, height: 10, channels: 3 }, 'INVALID_ARGUMENT'],
    ['raw pixels, zero size', { data: new Uint8Array(0), width: 0, height: 0, channels: 3 }, 'IMAGE_EMPTY'],
    ['not an image at all', 42, 'INVALID_ARGUMENT'],
    ['null', null, 'INVALID_ARGUMENT'],
  ];
  for (const [what, input, code] of cases) {
    const error = await detector.detect(input as never).then(
      () => undefined,
      (e: unknown) => e,
    );
    t.type(error, RetinaFaceError, `${what}: a RetinaFaceError`);
    t.equal((error as RetinaFaceError | undefined)?.code, code, `${what}: code ${code}`);
  }
});

t.test('failing calls do not disturb calls in flight', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu' });
  t.teardown(() => detector.close());
  const alone = await detector.detect(photo);
  t.ok(alone.length >= 2, 'the photo has faces');
  const calls = [
    detector.detect(photo),
    detector.detect(Buffer.from('garbage')),
    detector.detect(jpeg),
    detector.detect(jpeg.subarray(0, 1000)),
    detector.detectBatch([jpeg, photo]),
  ];
  const results = await Promise.allSettled(calls);
  t.same(
    results.map((r) => r.status),
    ['fulfilled', 'rejected', 'fulfilled', 'rejected', 'fulfilled'],
  );
  t.same((results[0] as PromiseFulfilledResult<unknown>).value, alone, 'concurrent call got the same faces');
  t.same((results[2] as PromiseFulfilledResult<unknown>).value, alone, 'buffer input got the same faces');
  t.same((results[4] as PromiseFulfilledResult<unknown>).value, [alone, alone], 'batch got the same faces');
  const batchError = await detector.detectBatch([jpeg, Buffer.alloc(0)]).catch((e: RetinaFaceError) => e);
  t.equal((batchError as RetinaFaceError).code, 'IMAGE_EMPTY', 'detectBatch reports the failing image');
  t.match((batchError as RetinaFaceError).message, /^image 1: /, 'and says which one');
});

t.test('detect after close, and close waits for calls in flight', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu' });
  const pending = detector.detect(photo);
  const closing = detector.close();
  t.ok((await pending).length >= 2, 'the call in flight completed');
  await closing;
  t.ok(detector.isClosed);
  await t.rejects(detector.detect(photo), { code: 'DETECTOR_CLOSED' });
  await t.rejects(detector.detectBatch([photo]), { code: 'DETECTOR_CLOSED' });
  await detector.close(); // idempotent
});

t.test('bad models and options are typed errors at create()', async (t) => {
  const write = (name: string, bytes: Buffer | string) => {
    const file = path.join(tmp, name);
    fs.writeFileSync(file, bytes);
    return file;
  };
  const cases: [string, Parameters<typeof Detector.create>[0], string][] = [
    ['missing model file', { model: path.join(tmp, 'missing.onnx') }, 'MODEL_NOT_FOUND'],
    ['a JPEG as model', { model: photo }, 'MODEL_INVALID'],
    ['an empty model file', { model: write('empty.onnx', '') }, 'MODEL_INVALID'],
    [
      'an ONNX that is not RetinaFace',
      { model: write('identity.onnx', identityModel([1, 3, 64, 64])) },
      'MODEL_INVALID',
    ],
    [
      'three outputs of the wrong shape',
      { model: write('identity3.onnx', identityModel(['b', 3, 'h', 'w'], 3)) },
      'MODEL_INVALID',
    ],
    // Right ranks and last dims, but 960/1920/384 rows fit no anchor layout for a 40x32 input (which needs 840).
    [
      'RetinaFace-shaped outputs with the wrong prior count',
      { model: write('lookalike.onnx', lookalikeModel([1, 3, 32, 40], [960, 1920, 384])) },
      'MODEL_INVALID',
    ],
    ['unknown backend', { model: MODEL_DYNAMIC, backend: 'gpu' as never }, 'INVALID_ARGUMENT'],
    ['bad threshold', { model: MODEL_DYNAMIC, scoreThreshold: 2 }, 'INVALID_ARGUMENT'],
    ['unknown option', { model: MODEL_DYNAMIC, treshold: 0.5 } as never, 'INVALID_ARGUMENT'],
    ['tensorrt on a machine without it', { model: MODEL_DYNAMIC, backend: 'tensorrt' }, 'BACKEND_UNAVAILABLE'],
  ];
  for (const [what, options, code] of cases) {
    const error = await Detector.create(options).then(
      async (d) => (await d.close(), undefined),
      (e: unknown) => e,
    );
    t.equal((error as RetinaFaceError | undefined)?.code, code, `${what}: ${code}`);
    if (error) t.comment(`${what}: ${(error as Error).message.slice(0, 160)}`);
  }
  // No model anywhere: an empty cache, offline, no RETINAFACE_MODEL.
  const saved = {
    model: process.env.RETINAFACE_MODEL,
    home: process.env.RETINAFACE_HOME,
    offline: process.env.RETINAFACE_OFFLINE,
  };
  delete process.env.RETINAFACE_MODEL;
  process.env.RETINAFACE_HOME = path.join(tmp, 'empty-cache');
  process.env.RETINAFACE_OFFLINE = '1';
  await t.rejects(Detector.create({}), { code: 'MODEL_NOT_FOUND', message: /RETINAFACE_MODEL/ }, 'no model configured');
  for (const [key, value] of [
    ['RETINAFACE_MODEL', saved.model],
    ['RETINAFACE_HOME', saved.home],
    ['RETINAFACE_OFFLINE', saved.offline],
  ] as const) {
    if (value === undefined) delete process.env[key];
    else process.env[key] = value;
  }
});
