// Serving at scale (issue 21): GET /readyz (ready once the detector exists, 503 while draining or closed) distinct
// from GET /healthz, and the in-flight gauge that an autoscaler reads from /metrics.
import fs from 'node:fs';
import path from 'node:path';
import t from 'tap';
import { Detector } from '../lib';
import { createServer } from '../lib/server/app';
import { listening } from './helpers/server-start';
import { MODEL_DYNAMIC, PHOTOS } from './helpers/shared';

const jpeg = fs.readFileSync(path.join(PHOTOS, 'fr_two_people.jpg'));

function gauge(metrics: string, name: string): number {
  const m = new RegExp(`^${name} (\\d+)$`, 'm').exec(metrics);
  if (!m) throw new Error(`${name} is not in /metrics`);
  return Number(m[1]);
}

t.test('/readyz: ready with the backend and model; 503 once the detector is closed', async (t) => {
  const detector = await Detector.create({ model: MODEL_DYNAMIC });
  const app = await createServer({ detector });
  t.teardown(async () => {
    await app.close();
    await detector.close();
  });
  const ready = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(ready.statusCode, 200);
  t.same(ready.json(), { status: 'ready', backend: 'cpu', model: MODEL_DYNAMIC });

  // The in-flight gauge counts detections under way and returns to 0 once they are answered.
  const requests = Array.from({ length: 6 }, () =>
    app.inject({ method: 'POST', url: '/detect', headers: { 'content-type': 'image/jpeg' }, payload: jpeg }),
  );
  let done = false;
  void Promise.all(requests).then(() => (done = true));
  let highest = 0;
  while (!done) {
    highest = Math.max(
      highest,
      gauge((await app.inject({ method: 'GET', url: '/metrics' })).body, 'retinaface_detect_requests_in_flight'),
    );
    await new Promise((r) => setTimeout(r, 5));
  }
  t.ok(
    (await Promise.all(requests)).every((r) => r.statusCode === 200),
    'all answered',
  );
  t.ok(highest >= 1 && highest <= 6, `in flight seen while they ran (highest ${highest})`);
  const after = (await app.inject({ method: 'GET', url: '/metrics' })).body;
  t.equal(gauge(after, 'retinaface_detect_requests_in_flight'), 0, 'back to 0');
  t.equal(gauge(after, 'retinaface_queue_depth'), 0, 'queue depth gauge present');

  await detector.close();
  const closed = await app.inject({ method: 'GET', url: '/readyz' });
  t.equal(closed.statusCode, 503);
  t.equal(closed.json().error.code, 'NOT_READY');
  t.equal(closed.headers['retry-after'], '1');
});

t.test('/readyz while draining: 503 SHUTTING_DOWN on a connection still open', async (t) => {
  const { app, connect } = await listening(t);
  const c = await connect();
  t.equal((await app.inject({ method: 'GET', url: '/readyz' })).statusCode, 200, 'ready before');
  await c.write('GET /readyz HTTP/1.1\r\nHost: 127.0.0.1\r\n'); // begun, so the connection is not idle at close
  await new Promise((r) => setTimeout(r, 200)); // (once the server has read it)
  const closing = app.close();
  await new Promise((r) => setTimeout(r, 100));
  await c.write('\r\n');
  const res = await c.readResponse(30_000);
  t.equal(res.status, 503, 'not ready while draining');
  t.equal(res.json().error?.code, 'SHUTTING_DOWN');
  await closing;
});
