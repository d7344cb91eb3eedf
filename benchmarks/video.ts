/**
 * Video throughput: a 3-minute 1080p30 clip (the 12.6 s sample played 15 times, cut at 5,400 frames) end to end
 * through detectVideo at 640, against detect() on frames decoded beforehand and held in memory (a subset, to keep
 * RAM sane), with the decode / inference split, ffmpeg's CPU, peak RSS and the load average beside the figures
 * (other processes share the machine). Writes benchmarks/results/video-<date>.{json,md}.
 *   npm run bench:video -- [--frames 5400] [--subset 378] [--input-size 640 | 640x360] [--out dir]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import { Detector, type InputSize } from '../lib';
import { parseInputSize } from '../lib/cli/parse';
import { decodeVideoFrames } from '../lib/video/frame-decoder';
import { describeMachine } from './common/machine';
import { BENCH_MODEL } from './harness/images';
import { writeReport } from './common/report';

const CLIP = path.resolve(__dirname, '../../shared/data/video/sample_1080p30.mp4');
const CLIP_FRAMES = 378;
const IN_FLIGHT = 16; // what detectVideo keeps in flight at the default maxBatch 8

interface Flags {
  frames: number;
  subset: number;
  inputSize: InputSize;
  out: string;
}

/** CPU seconds of this process's finished children (ffmpeg), from /proc/self/stat (cutime + cstime). */
function childCpuSeconds(): number {
  const fields = fs
    .readFileSync('/proc/self/stat', 'utf8')
    .replace(/^.*\) /, '')
    .split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: cutime is field 16, cstime field 17.
  return (Number(fields[13]) + Number(fields[14])) / 100;
}

function ownCpuSeconds(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1e6;
}

/** Peak RSS sampled every 100 ms. */
function rssSampler() {
  let peak = process.memoryUsage().rss;
  const timer = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 100);
  return { stop: () => (clearInterval(timer), Math.max(peak, process.memoryUsage().rss) / 2 ** 20) };
}

const load = () => os.loadavg().map((v) => Math.round(v * 100) / 100);

const PHOTOS = [
  'fr_two_people',
  'dlib_bald_guys',
  'fr_obama_and_biden',
  'dlib_voc_2008_001322',
  'dlib_cars_noface',
  'fd1mb_sample',
];
const SEGMENT_FRAMES = CLIP_FRAMES / PHOTOS.length; // each photo 63 frames (2.1 s)

async function endToEnd(detector: Detector, frames: number) {
  let inferenceMs = 0;
  let preprocessMs = 0;
  const off = detector.onBatch((e) => ((inferenceMs += e.inferenceMs), (preprocessMs += e.preprocessMs)));
  const rss = rssSampler();
  const loadBefore = load();
  const cpu0 = ownCpuSeconds();
  const child0 = childCpuSeconds();
  const t0 = performance.now();
  let count = 0;
  let faces = 0;
  let decodeWaitMs = 0;
  // Distinct track ids per photo of the first pass, and the most faces seen in one of its frames.
  const tracks = PHOTOS.map((photo) => ({ photo, trackIds: new Set<number>(), maxFacesInAFrame: 0 }));
  for await (const result of detector.detectVideo(CLIP, {
    loop: Math.ceil(frames / CLIP_FRAMES) - 1,
    maxFrames: frames,
    track: true,
  })) {
    const segment = result.index < CLIP_FRAMES ? tracks[Math.floor(result.index / SEGMENT_FRAMES)] : undefined;
    if (segment) {
      for (const face of result.faces) segment.trackIds.add(face.trackId!);
      segment.maxFacesInAFrame = Math.max(segment.maxFacesInAFrame, result.faces.length);
    }
    count++;
    faces += result.faces.length;
    decodeWaitMs += result.decodeWaitMs;
  }
  const seconds = (performance.now() - t0) / 1000;
  off();
  return {
    frames: count,
    faces,
    seconds,
    framesPerSecond: count / seconds,
    realTimeFactor: count / 30 / seconds,
    inferenceMsPerFrame: inferenceMs / count,
    preprocessMsPerFrame: preprocessMs / count,
    decodeWaitMsPerFrame: decodeWaitMs / count,
    nodeCpuSeconds: ownCpuSeconds() - cpu0,
    ffmpegCpuSeconds: childCpuSeconds() - child0,
    peakRssMiB: rss.stop(),
    tracksPerPhoto: tracks.map(({ photo, trackIds, maxFacesInAFrame }) => ({
      photo,
      distinctTrackIds: trackIds.size,
      maxFacesInAFrame,
    })),
    loadBefore,
    loadAfter: load(),
  };
}

/** detect() over frames already decoded, with as many calls in flight as detectVideo keeps. */
async function preDecoded(detector: Detector, subset: number) {
  const pixels: Array<{ data: Uint8Array; width: number; height: number; channels: 3 }> = [];
  const decode0 = performance.now();
  for await (const frame of decodeVideoFrames(CLIP, { loop: Math.ceil(subset / CLIP_FRAMES) - 1 })) {
    pixels.push({ data: frame.data.slice(), width: frame.width, height: frame.height, channels: 3 });
    if (pixels.length === subset) break;
  }
  const decodeSeconds = (performance.now() - decode0) / 1000;
  const loadBefore = load();
  const t0 = performance.now();
  let next = 0;
  const worker = async () => {
    while (next < pixels.length) await detector.detect(pixels[next++]!);
  };
  await Promise.all(Array.from({ length: IN_FLIGHT }, worker));
  const seconds = (performance.now() - t0) / 1000;
  return {
    frames: pixels.length,
    decodeOnlyFramesPerSecond: pixels.length / decodeSeconds,
    seconds,
    framesPerSecond: pixels.length / seconds,
    loadBefore,
    loadAfter: load(),
  };
}

async function main(flags: Flags): Promise<void> {
  const detector = await Detector.create({ model: BENCH_MODEL, inputSize: flags.inputSize });
  try {
    // The long run first (its peak RSS must not count the frames held for the comparison), then the same subset of
    // frames both ways.
    const long = await endToEnd(detector, flags.frames);
    const subsetVideo = await endToEnd(detector, flags.subset);
    const still = await preDecoded(detector, flags.subset);
    const result = {
      machine: describeMachine(),
      clip: path.basename(CLIP),
      inputSize: detector.inputSize,
      backend: detector.backendInfo.name,
      longRun: long,
      subset: { video: subsetVideo, preDecoded: still, ratio: subsetVideo.framesPerSecond / still.framesPerSecond },
      ratioLongRunToPreDecoded: long.framesPerSecond / still.framesPerSecond,
    };
    const day = new Date().toISOString().slice(0, 10);
    const base = path.join(flags.out, `video-${day}`);
    writeReport(base, result, markdown(result));
    process.stdout.write(markdown(result));
    console.error(`wrote ${base}.json and ${base}.md`);
  } finally {
    await detector.close();
  }
}

const f1 = (v: number) => v.toFixed(1);

function markdown(r: {
  machine: ReturnType<typeof describeMachine>;
  longRun: Awaited<ReturnType<typeof endToEnd>>;
  subset: {
    video: Awaited<ReturnType<typeof endToEnd>>;
    preDecoded: Awaited<ReturnType<typeof preDecoded>>;
    ratio: number;
  };
  ratioLongRunToPreDecoded: number;
  backend: string;
  inputSize: Detector['inputSize'];
}): string {
  const l = r.longRun;
  const s = r.subset;
  return `# Video benchmark (${r.machine.date.slice(0, 10)})

${r.machine.cpu}, ${r.machine.cores} cores, ${r.machine.memoryGiB} GiB, Node ${r.machine.node}, onnxruntime ${r.machine.onnxruntime};
backend ${r.backend}, input ${typeof r.inputSize === 'string' ? r.inputSize : `${r.inputSize.width}x${r.inputSize.height}`}, sample_1080p30.mp4 looped. **Shared machine**: the load average (1, 5, 15 min) is
given beside each figure; on an idle machine the figures are higher.

| run | frames | frames/s | x real time | load before -> after |
| --- | ---: | ---: | ---: | --- |
| detectVideo, ${l.frames} frames (${f1(l.frames / 30)} s of 1080p30) | ${l.frames} | ${f1(l.framesPerSecond)} | ${l.realTimeFactor.toFixed(2)} | ${l.loadBefore.join(', ')} -> ${l.loadAfter.join(', ')} |
| detectVideo, first ${s.video.frames} frames | ${s.video.frames} | ${f1(s.video.framesPerSecond)} | ${s.video.realTimeFactor.toFixed(2)} | ${s.video.loadBefore.join(', ')} -> ${s.video.loadAfter.join(', ')} |
| detect() on the same ${s.preDecoded.frames} frames, pre-decoded RGB | ${s.preDecoded.frames} | ${f1(s.preDecoded.framesPerSecond)} | | ${s.preDecoded.loadBefore.join(', ')} -> ${s.preDecoded.loadAfter.join(', ')} |

- Ratio detectVideo / pre-decoded on the same ${s.preDecoded.frames} frames: **${s.ratio.toFixed(2)}**; long run / pre-decoded: ${r.ratioLongRunToPreDecoded.toFixed(2)}.
- Long run split per frame: inference ${f1(l.inferenceMsPerFrame)} ms (batched, wall), letterbox ${f1(l.preprocessMsPerFrame)} ms (job thread),
  waiting for the decoder ${f1(l.decodeWaitMsPerFrame)} ms; CPU: Node ${f1(l.nodeCpuSeconds)} s, ffmpeg ${f1(l.ffmpegCpuSeconds)} s
  (${f1((1000 * l.ffmpegCpuSeconds) / l.frames)} ms of CPU a frame, decode, scaling to the detector's size and RGB conversion).
- Decoding alone (ffmpeg to RGB, read into memory): ${f1(s.preDecoded.decodeOnlyFramesPerSecond)} frames/s.
- Peak RSS: ${f1(l.peakRssMiB)} MiB over the long run (flat: bounded decode queue).

Tracking (\`track: true\`, first pass of the clip, 63 frames a photo): distinct track ids against the most faces in one frame.

| photo | distinct track ids | most faces in a frame |
| --- | ---: | ---: |
${l.tracksPerPhoto.map((t) => `| ${t.photo} | ${t.distinctTrackIds} | ${t.maxFacesInAFrame} |`).join('\n')}
`;
}

const program = new Command('bench:video')
  .option('--frames <n>', 'frames in the long run', (v) => Number(v), 5400)
  // The whole clip by default: the long run loops it, so both sides then see the same frames in the same mix.
  .option('--subset <n>', 'frames held in memory for the pre-decoded comparison', (v) => Number(v), CLIP_FRAMES)
  .option(
    '--input-size <size>',
    "detector input: 640 (a 640x640 canvas), WIDTHxHEIGHT (640x360 fits 16:9 frames) or 'original'",
    parseInputSize,
    640,
  )
  .option('--out <dir>', 'results folder', path.resolve(__dirname, 'results'))
  .action(async (flags: Flags) => main(flags));
program.parseAsync(process.argv).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
