// `retinaface serve` (the built CLI, dist/lib/cli/main.js) as a process: SIGTERM ends it within the drain deadline
// even while a client holds a stalled upload, and bad flags or an unusable port print one line and exit non-zero.
import { type ChildProcess, spawn } from 'node:child_process';
import fs from 'node:fs';
import net, { type AddressInfo } from 'node:net';
import path from 'node:path';
import t from 'tap';
import { RawConnection, request, requestHead } from './helpers/raw-http';
import { MODEL_DYNAMIC, PHOTOS } from './helpers/shared';

const CLI = path.resolve(__dirname, '../dist/lib/cli/main.js');
const jpeg = fs.readFileSync(path.join(PHOTOS, 'fr_two_people.jpg'));

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
  stderr: string;
}

function serve(args: string[]): { child: ChildProcess; stderr: () => string; exited: Promise<Exit> } {
  const child = spawn(process.execPath, [CLI, 'serve', ...args], { stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  const exited = new Promise<Exit>((resolve) =>
    child.once('exit', (code, signal) => resolve({ code, signal, stderr })),
  );
  return { child, stderr: () => stderr, exited };
}

/** Resolves with the exit, or with undefined (and kills the child) after `ms`. */
async function exitWithin(child: ChildProcess, exited: Promise<Exit>, ms: number): Promise<Exit | undefined> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => resolve(undefined), ms)));
  const result = await Promise.race([exited, late]);
  clearTimeout(timer);
  if (!result) child.kill('SIGKILL');
  return result;
}

async function listeningPort(stderr: () => string, exited: Promise<Exit>): Promise<number> {
  const deadline = Date.now() + 60_000;
  let done = false;
  void exited.then(() => (done = true));
  for (;;) {
    const m = /listening on http:\/\/127\.0\.0\.1:(\d+)/.exec(stderr());
    if (m) return Number(m[1]);
    if (done || Date.now() > deadline) throw new Error(`server did not start: ${stderr()}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

t.test('SIGTERM with a stalled upload held open: exit 0 once the drain deadline passes', async (t) => {
  const { child, stderr, exited } = serve(['--port', '0', '--model', MODEL_DYNAMIC, '--drain-timeout', '1s']);
  t.teardown(() => void child.kill('SIGKILL'));
  const port = await listeningPort(stderr, exited);
  const stalled = await RawConnection.open(port);
  await stalled.write(requestHead('POST', '/detect', { 'Content-Type': 'image/jpeg', 'Transfer-Encoding': 'chunked' }));
  await stalled.write(`400\r\n${'x'.repeat(0x400)}\r\n`); // and nothing more
  // A well-behaved keep-alive client at the same time, its upload under way at SIGTERM: it is answered, then its
  // connection closed.
  const polite = await RawConnection.open(port);
  const upload = request('POST', '/detect', jpeg, { 'Content-Type': 'image/jpeg' });
  await polite.write(upload.subarray(0, 5000));
  await new Promise((r) => setTimeout(r, 300));
  const signalled = Date.now();
  child.kill('SIGTERM');
  await new Promise((r) => setTimeout(r, 100));
  await polite.write(upload.subarray(5000));
  const answered = await polite.readResponse(15_000);
  t.equal(answered.status, 200, 'the request in flight was answered');
  t.equal(answered.headers.connection, 'close', 'and its keep-alive connection closed');
  const exit = await exitWithin(child, exited, 15_000);
  t.ok(exit, `exited within 15 s of SIGTERM (drain deadline 1 s), after ${Date.now() - signalled} ms`);
  t.equal(exit?.code, 0, 'exit code 0');
  t.match(stderr(), /SIGTERM: finishing requests in flight[\s\S]*drain deadline[\s\S]*stopped/);
  await stalled.closed;
  t.pass('the stalled upload was closed');
});

t.test('bad flags and unusable ports: one line on stderr, no stack trace, exit non-zero', async (t) => {
  const blocker = net.createServer();
  await new Promise<void>((resolve) => blocker.listen(0, '127.0.0.1', resolve));
  t.teardown(() => blocker.close());
  const busyPort = String((blocker.address() as AddressInfo).port);
  const cases: [string, string[], RegExp][] = [
    ['port out of range', ['--port', '70000'], /--port must be an integer from 0 to 65535 \(got 70000\)/],
    ['negative port', ['--port', '-1'], /--port must be an integer from 0 to 65535/],
    ['body limit 0', ['--body-limit', '0'], /--body-limit must be at least 1 byte/],
    ['negative drain timeout', ['--drain-timeout', '-5'], /--drain-timeout/],
    ['unreadable duration', ['--request-timeout', 'soon'], /--request-timeout/],
    ['port in use', ['--port', busyPort], new RegExp(`cannot listen on 127\\.0\\.0\\.1:${busyPort}: .*in use`)],
  ];
  for (const [what, flags, message] of cases) {
    const { child, exited } = serve(['--model', MODEL_DYNAMIC, ...flags]);
    const exit = await exitWithin(child, exited, 60_000);
    t.ok(exit, `${what}: exited`);
    t.not(exit?.code, 0, `${what}: non-zero exit (${exit?.code})`);
    const lines = exit!.stderr.trim().split('\n');
    t.equal(lines.length, 1, `${what}: one line: ${JSON.stringify(exit!.stderr)}`);
    t.match(lines[0], message, `${what}: says what is wrong`);
    t.notMatch(exit!.stderr, /\n\s+at /, `${what}: no stack trace`);
  }
});
