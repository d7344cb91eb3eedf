// The HTTP server: status codes per failure, metrics, multipart, queue-full 503, graceful shutdown on SIGTERM
// (requests in flight answered, keep-alive connections closed, exit 0 at once rather than after keepAliveTimeout).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import t from 'tap';
import { Detector } from '../lib';
import { createServer } from '../lib/server/app';
import { RawConnection, request } from './helpers/raw-http';
import { MODEL_DYNAMIC, PHOTOS } from './helpers/shared';

const jpeg = fs.readFileSync(path.join(PHOTOS, 'fr_two_people.jpg'));

t.test('POST /detect: faces for raw and multipart bodies; typed 4xx for bad input', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, maxPixels: 4_000_000 });
  const app = await createServer({ detector, bodyLimit: 2_000_000 });
  t.teardown(async () => {
    await app.close();
    await detector.close();
  });
  const expected = await detector.detect(jpeg);

  const raw = await app.inject({
    method: 'POST',
    url: '/detect',
    headers: { 'content-type': 'image/jpeg' },
    payload: jpeg,
  });
  t.equal(raw.statusCode, 200);
  t.same(raw.json().faces, JSON.parse(JSON.stringify(expected)), 'raw body: the same faces as the library');
  t.ok(raw.json().timings.totalMs > 0, 'timings included');

  const octet = await app.inject({
    method: 'POST',
    url: '/detect',
    headers: { 'content-type': 'application/octet-stream' },
    payload: jpeg,
  });
  t.equal(octet.json().faces.length, expected.length, 'application/octet-stream');

  const form = new FormData();
  form.append('image', new Blob([jpeg], { type: 'image/jpeg' }), 'photo.jpg');
  const request = new Request('http://x/detect', { method: 'POST', body: form });
  const multipart = await app.inject({
    method: 'POST',
    url: '/detect',
    headers: { 'content-type': request.headers.get('content-type')! },
    payload: Buffer.from(await request.arrayBuffer()),
  });
  t.equal(multipart.statusCode, 200, multipart.body);
  t.equal(multipart.json().faces.length, expected.length, 'multipart body');

  const huge = await sharp({ create: { width: 2100, height: 2100, channels: 3, background: '#123' } })
    .png()
    .toBuffer();
  const cases: [string, Buffer, string, number, string][] = [
    ['garbage', Buffer.from('definitely not an image'), 'image/jpeg', 400, 'IMAGE_DECODE_FAILED'],
    ['truncated JPEG', jpeg.subarray(0, 5000), 'image/jpeg', 400, 'IMAGE_DECODE_FAILED'],
    ['empty body', Buffer.alloc(0), 'image/jpeg', 400, 'IMAGE_EMPTY'],
    ['over the pixel limit', huge, 'image/png', 400, 'IMAGE_TOO_LARGE'],
    ['over the body limit', Buffer.alloc(2_100_000, 1), 'image/jpeg', 413, 'BODY_TOO_LARGE'],
    ['text body', Buffer.from('hello'), 'text/plain', 415, 'UNSUPPORTED_MEDIA_TYPE'],
  ];
  for (const [what, payload, type, status, code] of cases) {
    const res = await app.inject({ method: 'POST', url: '/detect', headers: { 'content-type': type }, payload });
    t.equal(res.statusCode, status, `${what}: ${status}`);
    t.equal(res.json().error?.code, code, `${what}: ${code}`);
  }

  const health = await app.inject({ method: 'GET', url: '/healthz' });
  t.equal(health.statusCode, 200);
  t.equal(health.json().backend.name, 'cpu');

  const metrics = await app.inject({ method: 'GET', url: '/metrics' });
  t.equal(metrics.statusCode, 200);
  t.match(metrics.body, /retinaface_http_request_duration_seconds_bucket\{.*route="\/detect".*status="200"/);
  t.match(metrics.body, /retinaface_batch_size_count \d+/);
  t.match(metrics.body, /retinaface_queue_depth 0/);
  t.match(metrics.body, /retinaface_errors_total\{code="IMAGE_DECODE_FAILED"\} 2/);
  t.match(metrics.body, /retinaface_errors_total\{code="BODY_TOO_LARGE"\} 1/);
});

t.test('queue full: 503 with Retry-After, admitted requests succeed', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC, maxQueue: 2, maxBatch: 1 });
  const app = await createServer({ detector, retryAfterSeconds: 2 });
  t.teardown(async () => {
    await app.close();
    await detector.close();
  });
  const responses = await Promise.all(
    Array.from({ length: 10 }, () =>
      app.inject({ method: 'POST', url: '/detect', headers: { 'content-type': 'image/jpeg' }, payload: jpeg }),
    ),
  );
  const refused = responses.filter((r) => r.statusCode === 503);
  const ok = responses.filter((r) => r.statusCode === 200);
  t.equal(refused.length + ok.length, 10, 'only 200 or 503');
  t.ok(refused.length >= 1, `${refused.length} refused`);
  t.ok(
    refused.every((r) => r.headers['retry-after'] === '2' && r.json().error.code === 'QUEUE_FULL'),
    'Retry-After and QUEUE_FULL',
  );
  t.ok(
    ok.every((r) => r.json().faces.length === 2),
    `${ok.length} admitted got their faces`,
  );
});

t.test('retinaface serve: SIGTERM finishes requests in flight, then exits', async (t) => {
  const cli = path.resolve(__dirname, '../dist/lib/cli/main.js');
  const child = spawn(process.execPath, [cli, 'serve', '--port', '0', '--model', MODEL_DYNAMIC, '--max-batch', '2'], {
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  t.teardown(() => void child.kill('SIGKILL'));
  let stderr = '';
  const address = await new Promise<string>((resolve, reject) => {
    child.stderr.on('data', (chunk: Buffer) => {
      stderr += chunk.toString();
      const m = /listening on (http:\/\/127\.0\.0\.1:\d+)/.exec(stderr);
      if (m) resolve(m[1]!);
    });
    child.once('exit', () => reject(new Error(`server exited early: ${stderr}`)));
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  // Six keep-alive clients with their uploads under way when SIGTERM comes (so they are surely in flight, however
  // loaded the machine): their bodies are finished after the signal.
  const port = Number(new URL(address).port);
  const upload = request('POST', '/detect', jpeg, { 'Content-Type': 'image/jpeg' });
  const clients = await Promise.all(Array.from({ length: 6 }, () => RawConnection.open(port)));
  t.teardown(() => clients.forEach((c) => c.destroy()));
  for (const c of clients) await c.write(upload.subarray(0, 4000));
  await new Promise((r) => setTimeout(r, 300));
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  for (const c of clients) await c.write(upload.subarray(4000));
  const responses = await Promise.all(clients.map((c) => c.readResponse(60_000)));
  t.same(
    responses.map((r) => r.status),
    [200, 200, 200, 200, 200, 200],
    'requests in flight completed',
  );
  for (const r of responses) t.equal((r.json().faces as unknown[]).length, 2);
  t.ok(
    responses.every((r) => r.headers.connection === 'close'),
    'their keep-alive connections closed, not held until keepAliveTimeout',
  );
  t.equal(await exited, 0, 'clean exit');
  t.match(stderr, /SIGTERM: finishing requests in flight[\s\S]*stopped/);
  await t.rejects(fetch(`${address}/healthz`), 'no longer accepting');
});
