// `retinaface video` as users run it (compiled: `npm run build` first; `npm test` does it).
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { ffmpegPath } from '../lib/video/decoder-binary';
import { decodeVideoFrames } from '../lib/video/frame-decoder';
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
  const lines = result.stdout
    .trim()
    .split('\n')
    .map(
      (line) =>
        JSON.parse(line) as {
          index: number;
          timeMs: number;
          width: number;
          height: number;
          faces: Array<{ trackId: number; box: number[] }>;
        },
    );
  t.same(
    lines.map((l) => l.index),
    [0, 10, 20, 30, 40, 50, 60, 70, 80],
  );
  t.same(
    lines.map((l) => Math.round(l.timeMs)),
    [0, 333, 667, 1000, 1333, 1667, 2000, 2333, 2667],
  );
  t.ok(lines.every((l) => l.width === 1280 && l.height === 720));
  t.same(lines[0]!.faces.map((f) => f.trackId).sort(), [1, 2], 'two people, ids 1 and 2');
  t.match(result.stderr, /9 frames, \d+ faces, \d+ tracks? in /);
  t.notMatch(result.stderr, /video \|/, 'no progress bar off a terminal');
});

t.test('video --jsonl writes the lines to a file; errors exit 2 with the code', { timeout: 300_000 }, async (t) => {
  const dir = tempDir(t, 'video-cli-');
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

/** A fresh folder under the system's temporary one, removed when `t` ends. */
function tempDir(t: Test, prefix: string): string {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), prefix));
  t.teardown(() => fs.rmSync(dir, { recursive: true, force: true }));
  return dir;
}

/** Every frame of a video, full size (copies: the decoder reuses its buffers). */
async function framesOf(file: string): Promise<Uint8Array[]> {
  const frames: Uint8Array[] = [];
  for await (const frame of decodeVideoFrames(file)) frames.push(frame.data.slice());
  return frames;
}

t.test(
  'video --annotate writes a playable copy: every frame, same size, faces drawn (the last ones between detections)',
  { timeout: 300_000 },
  async (t) => {
    const dir = tempDir(t, 'video-annotate-');
    const out = path.join(dir, 'annotated.mp4');
    // 30 detections, every 3rd frame: the whole 90-frame clip, two frames of three drawn with the faces before them.
    const result = await run([
      'video',
      CLIP_VP9,
      '--model',
      MODEL_DYNAMIC,
      '--every',
      '3',
      '--max-frames',
      '30',
      '--track',
      '--annotate',
      out,
    ]);
    t.equal(result.status, 0, result.stderr);
    t.match(result.stderr, /annotated: .*annotated\.mp4 \(90 frames\)/);
    const lines = result.stdout
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as { index: number; faces: Array<{ box: number[] }> });
    t.equal(lines.length, 30);

    // The encoder's own ffmpeg reads the file back: frame count and size.
    const log = spawnSync(ffmpegPath(), ['-hide_banner', '-i', out, '-f', 'null', '-'], { encoding: 'utf8' }).stderr;
    t.match(log, /Video: h264.*1280x720/, 'H.264, 1280x720');
    t.match(log, /frame=\s*90\b/, '90 frames, as many as the source');

    const source = await framesOf(CLIP_VP9);
    const annotated = await framesOf(out);
    t.equal(annotated.length, 90);
    // On a box's top edge (a 2-pixel stroke at 720p), the annotated frame is the box colour, not the source; the frame
    // after a detection (not detected itself with --every 3) carries the same box.
    const face = lines[0]!.faces[0]!;
    const [x1, y1, x2] = face.box as [number, number, number, number];
    const at = (frame: Uint8Array, x: number, y: number) =>
      Array.from(frame.subarray((y * 1280 + x) * 3, (y * 1280 + x) * 3 + 3));
    const x = Math.round((x1 + x2) / 2);
    const y = Math.round(y1);
    for (const index of [0, 1]) {
      const drawn = at(annotated[index]!, x, y);
      const plain = at(source[index]!, x, y);
      const difference = drawn.reduce((sum, v, c) => sum + Math.abs(v - plain[c]!), 0);
      t.ok(
        difference > 90,
        `frame ${index}: the box edge at (${x}, ${y}) is drawn: ${drawn} against ${plain} in the source`,
      );
      t.ok(drawn[1]! > drawn[0]! + 60, `frame ${index}: green (${drawn})`);
    }
    // Far from any face (top-left corner) the frame is the source, give or take the encoding.
    const corner = (frame: Uint8Array) => at(frame, 4, 4);
    t.ok(
      corner(annotated[0]!).every((v, c) => Math.abs(v - corner(source[0]!)[c]!) < 24),
      'untouched away from the faces',
    );
  },
);

t.test(
  'video --annotate: an encoder failure is VIDEO_ENCODE_FAILED and leaves no partial file',
  { timeout: 300_000 },
  async (t) => {
    const dir = tempDir(t, 'video-annotate-');
    const out = path.join(dir, 'annotated.unknown-container');
    const result = await run(['video', CLIP_VP9, '--model', MODEL_DYNAMIC, '--max-frames', '2', '--annotate', out]);
    t.equal(result.status, 2);
    t.match(result.stderr, /VIDEO_ENCODE_FAILED/);
    t.notOk(fs.existsSync(out), 'no partial file');
  },
);
