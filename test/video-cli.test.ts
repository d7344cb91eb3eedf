// `retinaface video` as users run it (compiled: `npm run build` first; `npm test` does it).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t from 'tap';
import { MODEL_DYNAMIC, SHARED } from './helpers/shared';

const cli = path.resolve(__dirname, '../dist/lib/cli/main.js');
const CLIP_VP9 = path.join(SHARED, 'data/video/sample_720p_vp9.webm');

/** Runs the CLI with stdout and stderr on pipes (not a terminal: JSON lines, no progress bar). */
function run(args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [cli, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (s: string) => (stdout += s));
    child.stderr.setEncoding('utf8').on('data', (s: string) => (stderr += s));
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

t.test('video on a pipe: one JSON line per frame, track ids, a summary on stderr', { timeout: 300_000 }, async (t) => {
  const result = await run(['video', CLIP_VP9, '--model', MODEL_DYNAMIC, '--every', '10', '--track']);
  t.equal(result.status, 0, result.stderr);
  const lines = result.stdout.trim().split('\n').map((line) => JSON.parse(line) as {
    index: number; timeMs: number; width: number; height: number; faces: Array<{ trackId: number; box: number[] }>;
  });
  t.same(lines.map((l) => l.index), [0, 10, 20, 30, 40, 50, 60, 70, 80]);
  t.same(lines.map((l) => Math.round(l.timeMs)), [0, 333, 667, 1000, 1333, 1667, 2000, 2333, 2667]);
  t.ok(lines.every((l) => l.width === 1280 && l.height === 720));
  t.same(lines[0]!.faces.map((f) => f.trackId).sort(), [1, 2], 'two people, ids 1 and 2');
  t.match(result.stderr, /9 frames, \d+ faces, \d+ tracks? in /);
  t.notMatch(result.stderr, /video \|/, 'no progress bar off a terminal');
});

t.test('video --jsonl writes the lines to a file; errors exit 2 with the code', { timeout: 300_000 }, async (t) => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'video-cli-'));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  const out = path.join(dir, 'faces.jsonl');
  const result = await run(['video', CLIP_VP9, '--model', MODEL_DYNAMIC, '--max-frames', '2', '--jsonl', out]);
  t.equal(result.status, 0, result.stderr);
  t.equal(result.stdout, '');
  t.equal(fs.readFileSync(out, 'utf8').trim().split('\n').length, 2);
  const text = path.join(dir, 'notes.txt');
  fs.writeFileSync(text, 'not a video\n');
  const bad = await run(['video', text, '--model', MODEL_DYNAMIC]);
  t.equal(bad.status, 2);
  t.match(bad.stderr, /VIDEO_INVALID/);
});
