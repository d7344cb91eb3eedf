// detectVideo on the shared clips: parity with detect() on the same decoded frames, rotation, timestamps, damaged and
// non-video inputs, and that stopping early (break, abort) leaves no decoder process or file descriptor behind.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import t, { type Test } from 'tap';
import { Detector, type Face, RetinaFaceError } from '../lib';
import { mapFacesToSource } from '../lib/fast-decode';
import { ffmpegPath } from '../lib/video/decoder-binary';
import { decodeVideoFrames } from '../lib/video/frame-decoder';
import { iou, MODEL_DYNAMIC, PHOTOS, SHARED } from './helpers/shared';

const VIDEO = path.join(SHARED, 'data/video');
const CLIP_1080 = path.join(VIDEO, 'sample_1080p30.mp4');
const CLIP_PORTRAIT = path.join(VIDEO, 'sample_portrait_rot90.mp4');
const CLIP_VP9 = path.join(VIDEO, 'sample_720p_vp9.webm');
/** Every frame with VIDEO_TEST_FULL=1; by default a stride that keeps the file to a minute or two on 2 cores. */
const FULL = process.env.VIDEO_TEST_FULL === '1';
const stride = (n: number) => (FULL ? 1 : n);
/**
 * Per-test deadline: a hang fails the test instead of the run. Generous, because the machines that run this are
 * shared and the parity tests run inference on some hundreds of frames; the file's own limit rises to match.
 */
const DEADLINE = { timeout: 400_000 };
t.setTimeout(900_000);

let detector: Detector;
t.before(async () => {
  detector = await Detector.create({ model: MODEL_DYNAMIC });
});
t.teardown(() => detector.close());

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'video-test-'));
t.teardown(() => fs.rmSync(tmp, { recursive: true, force: true }));

/** Runs ffmpeg quietly on `args`, writing (over) `output`. */
function ffmpeg(args: string[], output: string): void {
  execFileSync(ffmpegPath(), ['-v', 'error', '-y', ...args, output]);
}

/**
 * Re-encodes the first `frames` frames of the VP9 clip (from `seek` seconds), filtered by `filter`, with x264 at its
 * fastest: `vfr` keeps the filter's timestamps, `format` names the container where the file name does not.
 */
function x264Clip(
  output: string,
  o: { seek?: string; frames: number; filter: string; options?: string[]; vfr?: boolean; format?: string },
): void {
  ffmpeg(
    [
      ...(o.seek === undefined ? [] : ['-ss', o.seek]),
      ...['-i', CLIP_VP9, '-frames:v', String(o.frames), '-vf', o.filter, ...(o.options ?? [])],
      ...(o.vfr ? ['-vsync', 'vfr'] : []),
      ...['-c:v', 'libx264', '-preset', 'ultrafast'],
      ...(o.format === undefined ? [] : ['-f', o.format]),
    ],
    output,
  );
}

function openFds(): number {
  return fs.readdirSync('/proc/self/fd').length;
}

/** Processes whose parent is this one (ffmpeg decoders). */
function childProcesses(): number[] {
  const children: number[] = [];
  for (const task of fs.readdirSync('/proc/self/task')) {
    const text = fs.readFileSync(`/proc/self/task/${task}/children`, 'utf8').trim();
    if (text) children.push(...text.split(/\s+/).map(Number));
  }
  return children;
}

function sameFaces(t: Test, video: Face[], still: Face[], what: string): boolean {
  if (video.length !== still.length)
    return t.fail(`${what}: ${video.length} faces from detectVideo, ${still.length} from detect()`);
  // Both lists are sorted by score; pair each face with its best match to be safe against equal scores.
  const used = new Set<number>();
  for (const face of video) {
    let best = -1;
    let bestIoU = 0;
    still.forEach((other, j) => {
      const v = iou(face.box, other.box);
      if (!used.has(j) && v > bestIoU) [best, bestIoU] = [j, v];
    });
    if (bestIoU < 0.98) return t.fail(`${what}: a face matched at IoU ${bestIoU.toFixed(3)} only`);
    used.add(best);
  }
  return true;
}

/**
 * detectVideo's frames against detect() on the same frames from the same decoder, passed as pixels: by default
 * decoded at the detector's input size (faces mapped back to the displayed frame), or at full size.
 */
async function checkParity(
  t: Test,
  clip: string,
  every: number,
  expect: { frames: number; width: number; height: number },
  decodeSize: 'detector' | 'full' = 'detector',
) {
  const still: Array<{ index: number; timeMs: number; faces: Face[] }> = [];
  const maxSize = decodeSize === 'detector' && detector.inputSize !== 'original' ? detector.inputSize : undefined;
  let scaledFrames = 0;
  for await (const frame of decodeVideoFrames(clip, { every, ...(maxSize ? { maxSize } : {}) })) {
    const { data, width, height, dataWidth, dataHeight } = frame;
    const found = await detector.detect({ data, width: dataWidth, height: dataHeight, channels: 3 });
    const scaled = dataWidth !== width || dataHeight !== height;
    if (scaled) scaledFrames++;
    const faces = scaled
      ? mapFacesToSource(
          found,
          { width: dataWidth, height: dataHeight, sourceWidth: width, sourceHeight: height },
          true,
        )
      : found;
    still.push({ index: frame.index, timeMs: frame.timeMs, faces });
  }
  t.equal(
    scaledFrames,
    maxSize ? expect.frames : 0,
    maxSize ? 'frames decoded at the detector size' : 'frames decoded at full size',
  );
  let i = 0;
  let mismatches = 0;
  let faces = 0;
  for await (const result of detector.detectVideo(clip, { every, decodeSize })) {
    const expected = still[i++]!;
    if (result.width !== expect.width || result.height !== expect.height) mismatches++;
    if (result.index !== expected.index || result.timeMs !== expected.timeMs) mismatches++;
    if (!sameFaces(t, result.faces, expected.faces, `frame ${result.index}`)) mismatches++;
    faces += result.faces.length;
    for (const face of result.faces) {
      const [x1, y1, x2, y2] = face.box;
      if (x1 < 0 || y1 < 0 || x2 > expect.width || y2 > expect.height) mismatches++;
    }
  }
  t.equal(i, expect.frames, `${expect.frames} frames`);
  t.equal(still.length, expect.frames);
  t.equal(mismatches, 0, `every frame equal to detect() on its pixels (${faces} faces in all)`);
  t.ok(faces > 0, 'faces found');
  return still;
}

t.test('1080p H.264: frames equal detect() on the same decoded frame', DEADLINE, async (t) => {
  const every = stride(6);
  const still = await checkParity(t, CLIP_1080, every, { frames: Math.ceil(378 / every), width: 1920, height: 1080 });
  // Stream timestamps: 30 fps, frame i at i / 30 s.
  t.same(
    still.slice(0, 3).map((f) => [f.index, Math.round(f.timeMs * 100) / 100]),
    [0, 1, 2].map((k) => [k * every, Math.round((k * every * 100000) / 30) / 100]),
  );
  t.equal(still[0]!.faces.length, 2, 'fr_two_people opens the clip');
});

t.test('portrait clip stored sideways: frames come upright, 720x1280, faces in that frame', DEADLINE, async (t) => {
  const every = stride(3);
  const still = await checkParity(t, CLIP_PORTRAIT, every, {
    frames: Math.ceil(126 / every),
    width: 720,
    height: 1280,
  });
  const tallest = Math.max(...still.flatMap((f) => f.faces.map((face) => face.box[3])));
  t.ok(
    tallest > 720,
    `faces lie below y = 720, which only the upright frame has (lowest box edge ${tallest.toFixed(0)})`,
  );
});

t.test('VP9 clip: frames equal detect()', DEADLINE, async (t) => {
  const every = stride(3);
  await checkParity(t, CLIP_VP9, every, { frames: Math.ceil(90 / every), width: 1280, height: 720 });
});

t.test(
  "decodeSize 'full': frames equal detect() on the full-size decoded frame (portrait clip, upright)",
  DEADLINE,
  async (t) => {
    const every = stride(6);
    const still = await checkParity(
      t,
      CLIP_PORTRAIT,
      every,
      { frames: Math.ceil(126 / every), width: 720, height: 1280 },
      'full',
    );
    t.ok(
      still.some((f) => f.faces.some((face) => face.box[3] > 720)),
      'faces in the upright frame',
    );
  },
);

t.test('frames are decoded at the detector size: scaled down to fit, never up', DEADLINE, async (t) => {
  const sizes = async (clip: string, maxSize: { width: number; height: number }) => {
    for await (const f of decodeVideoFrames(clip, { maxSize }))
      return [f.width, f.height, f.dataWidth, f.dataHeight, f.data.length];
    return [];
  };
  t.same(await sizes(CLIP_1080, { width: 640, height: 640 }), [1920, 1080, 640, 360, 640 * 360 * 3]);
  t.same(await sizes(CLIP_PORTRAIT, { width: 640, height: 640 }), [720, 1280, 360, 640, 360 * 640 * 3]);
  t.same(await sizes(CLIP_VP9, { width: 640, height: 480 }), [1280, 720, 640, 360, 640 * 360 * 3]);
  t.same(
    await sizes(CLIP_VP9, { width: 2000, height: 2000 }),
    [1280, 720, 1280, 720, 1280 * 720 * 3],
    'a small frame stays as it is',
  );
  await t.rejects(detector.detectVideo(CLIP_VP9, { decodeSize: 'half' as never }).next(), { code: 'INVALID_ARGUMENT' });
});

t.test('a Buffer and a readable stream give the same frames as the path', DEADLINE, async (t) => {
  const fromPath: string[] = [];
  for await (const r of detector.detectVideo(CLIP_VP9, { maxFrames: 5 })) fromPath.push(JSON.stringify(r.faces));
  const fromBuffer: string[] = [];
  for await (const r of detector.detectVideo(fs.readFileSync(CLIP_1080), { maxFrames: 2 }))
    fromBuffer.push(`${r.width}x${r.height}`);
  t.same(fromBuffer, ['1920x1080', '1920x1080'], 'an MP4 with its index at the end works from a Buffer (temp file)');
  const fromStream: string[] = [];
  for await (const r of detector.detectVideo(fs.createReadStream(CLIP_VP9), { maxFrames: 5 }))
    fromStream.push(JSON.stringify(r.faces));
  t.same(fromStream, fromPath, 'WebM from a stream');
});

t.test('every, start, end, maxFrames', DEADLINE, async (t) => {
  const seen: Array<[number, number]> = [];
  for await (const r of detector.detectVideo(CLIP_VP9, { every: 10, start: 500, end: 2000 }))
    seen.push([r.index, Math.round(r.timeMs)]);
  t.same(seen, [
    [20, 667],
    [30, 1000],
    [40, 1333],
    [50, 1667],
  ]);
  let n = 0;
  for await (const _ of detector.detectVideo(CLIP_VP9, { maxFrames: 3 })) n++;
  t.equal(n, 3);
  await t.rejects(detector.detectVideo(CLIP_VP9, { every: 0 }).next(), { code: 'INVALID_ARGUMENT' });
  await t.rejects(detector.detectVideo(CLIP_VP9, { fps: 3 } as never).next(), { code: 'INVALID_ARGUMENT' });
});

t.test('track: ids stay with their faces through the first photo of the clip', DEADLINE, async (t) => {
  const ids = new Set<number>();
  let frames = 0;
  for await (const r of detector.detectVideo(CLIP_1080, { every: 2, maxFrames: 30, track: true })) {
    frames++;
    t.equal(r.faces.length, 2);
    for (const face of r.faces) ids.add(face.trackId!);
  }
  t.equal(frames, 30);
  t.same([...ids].sort(), [1, 2], 'two people, two track ids over 2 s of zooming video');
});

t.test('variable frame rate: timestamps come from the stream, not index / fps', DEADLINE, async (t) => {
  // 10 small frames: 5 at 10 frames/s, then 5 at 30 frames/s.
  const vfr = path.join(tmp, 'vfr.mp4');
  x264Clip(vfr, { frames: 10, filter: "scale=320:180,setpts='if(lt(N\\,5)\\,N*0.1\\,0.5+(N-5)/30)/TB'", vfr: true });
  const times: number[] = [];
  for await (const r of detector.detectVideo(vfr)) times.push(Math.round(r.timeMs));
  t.same(times, [0, 100, 200, 300, 400, 500, 533, 567, 600, 633]);
  // Millisecond timestamps off any frame-rate grid (Matroska), which a clock of 1 / frame rate would round.
  const offGrid = path.join(tmp, 'vfr.mkv');
  x264Clip(offGrid, {
    frames: 10,
    filter: "scale=320:180,setpts='if(lt(N\\,5)\\,N*0.1234\\,0.7+(N-5)/29)/TB'",
    options: ['-enc_time_base', '1:1000'],
    vfr: true,
  });
  const exact: number[] = [];
  for await (const r of detector.detectVideo(offGrid, { every: 3 })) exact.push(r.timeMs);
  t.same(exact, [0, 370, 734, 837], 'every third frame, at its own time to the millisecond');
});

t.test('a resolution change part way: every frame, at the size the video started with', DEADLINE, async (t) => {
  // Two MPEG-TS pieces, 320x180 then 256x256, one after the other: ffmpeg stretches the second to the first's size.
  const piece = (name: string, seek: string, size: string) => {
    const file = path.join(tmp, name);
    x264Clip(file, { seek, frames: 5, filter: `scale=${size}`, format: 'mpegts' });
    return fs.readFileSync(file);
  };
  const joined = path.join(tmp, 'resolution-change.ts');
  fs.writeFileSync(joined, Buffer.concat([piece('a.ts', '0', '320:180'), piece('b.ts', '1', '256:256')]));
  for (const maxSize of [undefined, { width: 200, height: 200 }]) {
    const frames: string[] = [];
    for await (const f of decodeVideoFrames(joined, maxSize ? { maxSize } : {})) {
      frames.push(`${f.width}x${f.height} ${f.dataWidth}x${f.dataHeight} ${f.data.length}`);
    }
    const expected = maxSize ? `320x180 200x113 ${200 * 113 * 3}` : `320x180 320x180 ${320 * 180 * 3}`;
    t.same(frames, new Array(10).fill(expected), `${maxSize ? 'scaled' : 'full size'}: 10 frames of the first size`);
  }
});

/** Frames delivered before the error, and the error. */
async function drain(
  input: Parameters<Detector['detectVideo']>[0],
  every = 10,
): Promise<{ frames: number; error: RetinaFaceError | undefined }> {
  let frames = 0;
  try {
    for await (const _ of detector.detectVideo(input, { every })) frames++;
    return { frames, error: undefined };
  } catch (error) {
    return { frames, error: error as RetinaFaceError };
  }
}

t.test('truncated at 50%: every decodable frame, then VIDEO_DECODE_FAILED naming the frame', DEADLINE, async (t) => {
  // The index at the front (faststart), so the first half of the frames can be decoded.
  const faststart = path.join(tmp, 'faststart.mp4');
  ffmpeg(['-i', CLIP_1080, '-c', 'copy', '-movflags', '+faststart'], faststart);
  const cut = (file: string, name: string) => {
    const bytes = fs.readFileSync(file);
    const out = path.join(tmp, name);
    fs.writeFileSync(out, bytes.subarray(0, Math.floor(bytes.length / 2)));
    return out;
  };
  const mp4 = await drain(cut(faststart, 'half.mp4'), 5);
  t.ok(mp4.frames > 30 && mp4.frames < 76, `MP4: ${mp4.frames} of 76 frames (every 5th) before the cut`);
  t.equal(mp4.error?.code, 'VIDEO_DECODE_FAILED');
  t.match(mp4.error?.message, /decoding failed at frame \d+/);

  const webm = await drain(cut(CLIP_VP9, 'half.webm'), 1);
  t.ok(webm.frames > 30 && webm.frames < 90, `WebM: ${webm.frames} frames before the cut`);
  t.equal(webm.error?.code, 'VIDEO_DECODE_FAILED');

  // The index at the end (as the clip is stored): nothing can be decoded without it.
  const noIndex = await drain(cut(CLIP_1080, 'half-noindex.mp4'));
  t.equal(noIndex.frames, 0);
  t.equal(noIndex.error?.code, 'VIDEO_DECODE_FAILED');
  t.match(noIndex.error?.message, /frame 0 .*truncated/);
});

t.test('random bytes over the middle: frames, then VIDEO_DECODE_FAILED', DEADLINE, async (t) => {
  const bytes = Buffer.from(fs.readFileSync(CLIP_1080));
  let seed = 12345;
  for (let i = Math.floor(bytes.length * 0.4); i < Math.floor(bytes.length * 0.6); i++) {
    seed = (seed * 1103515245 + 12345) >>> 0;
    bytes[i] = seed >>> 24;
  }
  const file = path.join(tmp, 'corrupt.mp4');
  fs.writeFileSync(file, bytes);
  const result = await drain(file);
  t.ok(result.frames > 0, `${result.frames} frames delivered`);
  t.equal(result.error?.code, 'VIDEO_DECODE_FAILED');
  t.match(result.error?.message, /frame \d+/);
});

t.test('not a video: VIDEO_INVALID at once, before any frame', DEADLINE, async (t) => {
  const text = path.join(tmp, 'notes.txt');
  fs.writeFileSync(text, 'hello, this is text\n'.repeat(50)); // ffmpeg's tty demuxer would "play" it
  const random = path.join(tmp, 'random.mp4');
  fs.writeFileSync(random, Buffer.from(Array.from({ length: 65536 }, (_, i) => (i * 2654435761) >>> 24)));
  const cases: Array<[string, Parameters<Detector['detectVideo']>[0]]> = [
    ['text file', text],
    ['random bytes named .mp4', random],
    ['a JPEG photo', path.join(PHOTOS, 'fr_two_people.jpg')],
    ['a JSON file', path.join(__dirname, '../package.json')],
    ['random bytes in a Buffer', fs.readFileSync(random)],
  ];
  for (const [what, input] of cases) {
    const result = await drain(input);
    t.equal(result.frames, 0, `${what}: no frame`);
    t.equal(result.error?.code, 'VIDEO_INVALID', `${what}: VIDEO_INVALID`);
  }
  await t.rejects(detector.detectVideo(path.join(tmp, 'missing.mp4')).next(), { code: 'IMAGE_NOT_FOUND' });
  await t.rejects(detector.detectVideo(Buffer.alloc(0)).next(), { code: 'VIDEO_INVALID' });
});

t.test('a stream that fails part way: VIDEO_DECODE_FAILED, no hang', DEADLINE, async (t) => {
  const bytes = fs.readFileSync(CLIP_VP9);
  const { Readable } = await import('node:stream');
  const failing = new Readable({
    read() {
      this.push(bytes.subarray(0, 200_000));
      this.destroy(new Error('connection reset'));
    },
  });
  const result = await drain(failing, 1);
  t.ok(result.frames > 0, `the frames in the bytes that came: ${result.frames}`);
  t.equal(result.error?.code, 'VIDEO_DECODE_FAILED');
  t.match(result.error?.message, /connection reset/);
  t.same(childProcesses(), []);
});

t.test('no decoder: VIDEO_DECODER_MISSING says what to install', async (t) => {
  const saved = process.env.RETINAFACE_FFMPEG;
  process.env.RETINAFACE_FFMPEG = path.join(tmp, 'no-ffmpeg-here');
  t.teardown(() =>
    saved === undefined ? delete process.env.RETINAFACE_FFMPEG : (process.env.RETINAFACE_FFMPEG = saved),
  );
  await t.rejects(detector.detectVideo(CLIP_VP9).next(), { code: 'VIDEO_DECODER_MISSING' });
});

t.test('break, return() and abort free the decoder at once: no child process, no open fd left', DEADLINE, async (t) => {
  const fdsBefore = openFds();
  const tempCopies = () => fs.readdirSync(os.tmpdir()).filter((name) => name.startsWith('retinaface-video-'));
  const copiesBefore = tempCopies();
  t.same(childProcesses(), [], 'no child process before');

  let n = 0;
  for await (const _ of detector.detectVideo(CLIP_1080)) {
    if (n === 0) t.equal(childProcesses().length, 1, 'one ffmpeg while decoding');
    if (++n === 3) break;
  }
  t.same(childProcesses(), [], 'break: ffmpeg is gone when the loop has ended');
  t.equal(openFds(), fdsBefore, 'break: no fd left open');

  const iterator = detector.detectVideo(fs.readFileSync(CLIP_VP9));
  await iterator.next();
  await iterator.return(undefined);
  t.same(childProcesses(), [], 'return(): ffmpeg is gone');
  t.equal(openFds(), fdsBefore, 'return(): no fd left open');
  t.same(tempCopies(), copiesBefore, 'temporary copy removed');

  const controller = new AbortController();
  let delivered = 0;
  const aborted = (async () => {
    for await (const _ of detector.detectVideo(fs.createReadStream(CLIP_VP9), { signal: controller.signal })) {
      if (++delivered === 2) controller.abort();
    }
  })();
  await t.rejects(aborted, { code: 'ABORTED' });
  t.equal(delivered, 2);
  t.same(childProcesses(), [], 'abort: ffmpeg is gone');
  // The read stream closes on its own once unpiped and garbage; wait for it rather than count it.
  await new Promise((resolve) => setTimeout(resolve, 200));
  t.ok(openFds() <= fdsBefore + 1, `abort: at most the caller's own stream left open (${openFds() - fdsBefore})`);
});
