// The registry's download path end to end (issue 8, acceptance 3) against a local HTTP server serving the shared
// weights: success and cache reuse, wrong sha256, broken transfers, HTTP errors, server down, offline mode, files
// placed by hand, and the model resolution order. Every cache lives in a temp dir; the real home is never touched.
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { RetinaFaceError } from '../lib/errors';
import { downloadVerified } from '../lib/models/download';
import { ensureModel } from '../lib/models/registry';
import { resolveModel, resolveModelPath } from '../lib/models/resolve';
import { SHARED } from './helpers/shared';

const WEIGHTS = fs.readFileSync(path.join(SHARED, 'models/retinaface-mnet025/mobilenet0.25_Final.pth'));
const SHA256 = '2979b33ffafda5d74b6948cd7a5b9a7a62f62b949cef24e95fd15d2883a65220';
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'retinaface-download-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

const requests = new Map<string, number>();
const server = http.createServer((req, res) => {
  const route = req.url ?? '';
  requests.set(route, (requests.get(route) ?? 0) + 1);
  const half = WEIGHTS.subarray(0, WEIGHTS.length >> 1);
  switch (route) {
    case '/ok.pth':
      res.writeHead(200, { 'content-length': WEIGHTS.length });
      res.end(WEIGHTS);
      return;
    case '/corrupt.pth': {
      // right size, one byte changed
      const bad = Buffer.from(WEIGHTS);
      bad[bad.length - 100] = bad[bad.length - 100]! ^ 0xff;
      res.writeHead(200, { 'content-length': bad.length });
      res.end(bad);
      return;
    }
    case '/cut.pth': // announces everything, sends half, drops the connection
      res.writeHead(200, { 'content-length': WEIGHTS.length });
      res.write(half, () => res.destroy());
      return;
    case '/short.pth': // a complete chunked response that is simply too short
      res.writeHead(200, { 'transfer-encoding': 'chunked' });
      res.end(half);
      return;
    case '/stall.pth': // sends a little, then nothing
      res.writeHead(200, { 'content-length': WEIGHTS.length });
      res.write(half.subarray(0, 1000));
      return;
    default:
      res.writeHead(404);
      res.end('not found');
  }
});
let base = '';
t.before(async () => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
t.teardown(() => {
  server.closeAllConnections();
  server.close();
});

let caches = 0;
const freshCache = () => path.join(tmp, `cache-${++caches}`);
/** Everything under a cache dir, relative: what a failure left behind. */
const contents = (dir: string) =>
  fs.existsSync(dir) ? fs.readdirSync(dir, { recursive: true }).map(String).sort() : [];
const install = (cacheDir: string, url: string, env: NodeJS.ProcessEnv = {}) =>
  ensureModel(undefined, { cacheDir, url, env, progress: false });

t.test('success: weights checked, converted once, cached; the second call makes no request', async (t) => {
  const cacheDir = freshCache();
  const onnx = await install(cacheDir, `${base}/ok.pth`);
  t.equal(onnx, path.join(cacheDir, 'retinaface-mnet025', 'retinaface-mnet025.onnx'));
  t.same(
    contents(cacheDir),
    ['retinaface-mnet025', 'retinaface-mnet025/mobilenet0.25_Final.pth', 'retinaface-mnet025/retinaface-mnet025.onnx'],
    'weights and ONNX, no temp files',
  );
  t.equal(
    createHash('sha256')
      .update(fs.readFileSync(path.join(cacheDir, 'retinaface-mnet025/mobilenet0.25_Final.pth')))
      .digest('hex'),
    SHA256,
  );
  t.equal(requests.get('/ok.pth'), 1);
  t.equal(await install(cacheDir, `${base}/ok.pth`), onnx, 'same path again');
  t.equal(requests.get('/ok.pth'), 1, 'served from the cache: no second request');

  // Concurrent first uses share one download.
  const other = freshCache();
  const [a, b] = await Promise.all([install(other, `${base}/ok.pth`), install(other, `${base}/ok.pth`)]);
  t.equal(a, b);
  t.equal(requests.get('/ok.pth'), 2, 'one request for two concurrent callers');
});

t.test('failures are MODEL_DOWNLOAD_FAILED with the by-hand steps, and leave nothing in the cache', async (t) => {
  const down = http.createServer();
  await new Promise<void>((resolve) => down.listen(0, '127.0.0.1', resolve));
  const deadPort = (down.address() as AddressInfo).port;
  await new Promise<void>((resolve) => down.close(() => resolve()));
  const cases: [string, string, RegExp][] = [
    ['wrong sha256', `${base}/corrupt.pth`, /sha256 is [0-9a-f]{64}, the registry expects 2979b33f/],
    ['connection dropped halfway', `${base}/cut.pth`, /broke off after \d+ of 1789735 bytes/],
    ['response too short', `${base}/short.pth`, /ended after 894867 of 1789735 bytes \(truncated\)/],
    ['HTTP 404', `${base}/nothing-here.pth`, /HTTP 404/],
    ['server down', `http://127.0.0.1:${deadPort}/ok.pth`, /ECONNREFUSED/],
  ];
  for (const [what, url, detail] of cases) {
    const cacheDir = freshCache();
    const error = await install(cacheDir, url).catch((e: unknown) => e);
    t.type(error, RetinaFaceError, what);
    t.equal((error as RetinaFaceError).code, 'MODEL_DOWNLOAD_FAILED', `${what}: code`);
    t.match((error as Error).message, detail, `${what}: says what went wrong`);
    t.match(
      (error as Error).message,
      /save it as .*mobilenet0\.25_Final\.pth.*RETINAFACE_MODEL/,
      `${what}: says how to do it by hand`,
    );
    t.same(
      contents(cacheDir).filter((f) => f !== 'retinaface-mnet025'),
      [],
      `${what}: nothing cached`,
    );
  }
});

t.test('a stalled transfer gives up after the idle timeout', async (t) => {
  const target = path.join(freshCache(), 'w.pth');
  await t.rejects(
    downloadVerified(
      `${base}/stall.pth`,
      target,
      { size: WEIGHTS.length, sha256: SHA256 },
      { idleTimeoutMs: 300, progress: false },
    ),
    { code: 'MODEL_DOWNLOAD_FAILED', message: /stalled/ },
  );
  t.same(contents(path.dirname(target)), [], 'no partial file');
});

t.test('offline mode and weights placed by hand', async (t) => {
  const offline = freshCache();
  const before = requests.get('/ok.pth');
  await t.rejects(install(offline, `${base}/ok.pth`, { RETINAFACE_OFFLINE: '1' }), {
    code: 'MODEL_NOT_FOUND',
    message: /downloads are off.*RETINAFACE_MODEL/,
  });
  t.equal(requests.get('/ok.pth'), before, 'no request when offline');

  const byHand = freshCache();
  fs.mkdirSync(path.join(byHand, 'retinaface-mnet025'), { recursive: true });
  fs.writeFileSync(path.join(byHand, 'retinaface-mnet025/mobilenet0.25_Final.pth'), WEIGHTS);
  const onnx = await install(byHand, 'http://127.0.0.1:9/unreachable', { RETINAFACE_OFFLINE: '1' });
  t.ok(fs.existsSync(onnx), 'converted from the file placed by hand, without the network');

  const wrong = freshCache();
  fs.mkdirSync(path.join(wrong, 'retinaface-mnet025'), { recursive: true });
  fs.writeFileSync(path.join(wrong, 'retinaface-mnet025/mobilenet0.25_Final.pth'), WEIGHTS.subarray(0, 1000));
  await t.rejects(
    install(wrong, `${base}/ok.pth`),
    { code: 'CHECKPOINT_INVALID', message: /Delete it to download again/ },
    'a wrong file placed by hand is reported, not silently replaced',
  );
});

t.test('resolution order: explicit path > RETINAFACE_MODEL > the default model in RETINAFACE_HOME', async (t) => {
  const home = freshCache();
  const env = { RETINAFACE_HOME: home, RETINAFACE_OFFLINE: '1' };
  t.equal(
    await resolveModel('rel/model.onnx', { ...env, RETINAFACE_MODEL: '/env.onnx' }),
    path.resolve('rel/model.onnx'),
  );
  t.equal(await resolveModel(undefined, { ...env, RETINAFACE_MODEL: '/env.onnx' }), '/env.onnx');
  t.throws(() => resolveModelPath(undefined, env), {
    code: 'MODEL_NOT_FOUND',
    message: /RETINAFACE_MODEL.*retinaface fetch/,
  });
  await t.rejects(resolveModel(undefined, env), { code: 'MODEL_NOT_FOUND' }, 'empty cache, offline');
  const onnx = await resolveModel(undefined, { RETINAFACE_HOME: home }, { url: `${base}/ok.pth`, progress: false });
  t.equal(onnx, path.join(home, 'retinaface-mnet025/retinaface-mnet025.onnx'), 'downloaded into RETINAFACE_HOME');
  t.equal(resolveModelPath(undefined, { ...env, RETINAFACE_MODEL: '' }), onnx, 'the sync form finds the cached model');
  t.equal(await resolveModel(undefined, env), onnx, 'and so does the async form, offline');
});

t.test('progress bar when asked for, even into a pipe', async (t) => {
  const written: string[] = [];
  const write = process.stderr.write.bind(process.stderr);
  process.stderr.write = ((chunk: string | Uint8Array) => (
    written.push(String(chunk)),
    true
  )) as typeof process.stderr.write;
  try {
    await downloadVerified(
      `${base}/ok.pth`,
      path.join(freshCache(), 'w.pth'),
      { size: WEIGHTS.length, sha256: SHA256 },
      { progress: true, label: 'weights' },
    );
  } finally {
    process.stderr.write = write;
  }
  t.match(written.join(''), /weights \[.*\] 100%/, 'a bar reaching 100%');
});
