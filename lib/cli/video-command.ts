/**
 * `retinaface video <file>`: one JSON line per frame (to --jsonl, or to stdout when it is not a terminal), a
 * progress bar (frames, frames/s, ETA) on a terminal, a summary at the end; --annotate writes a copy of the video
 * with the faces drawn.
 */
import fs from 'node:fs';
import { once } from 'node:events';
import type { Writable } from 'node:stream';
import cliProgress from 'cli-progress';
import type { Command } from 'commander';
import { Detector } from '../detector';
import { VideoAnnotator } from '../video/annotate-video';
import type { VideoFrameResult } from '../video/detect-video';
import {
  backendOption,
  type DetectorFlags,
  detectorOptions,
  inputSizeOption,
  modelOption,
  nmsOption,
  scoreOption,
} from './detector-flags';
import { parseInteger, parseNumber } from './parse';

interface VideoFlags extends DetectorFlags {
  jsonl?: string;
  annotate?: string;
  every?: number;
  track?: boolean;
  start?: number;
  end?: number;
  maxFrames?: number;
  progress?: boolean;
}

const round = (v: number) => Math.round(v * 100) / 100;

/** One frame as a JSON line (coordinates to 1/100 pixel). */
export function frameLine(result: VideoFrameResult): string {
  return JSON.stringify({
    index: result.index,
    timeMs: round(result.timeMs),
    width: result.width,
    height: result.height,
    faces: result.faces.map((f) => ({
      ...(f.trackId !== undefined ? { trackId: f.trackId } : {}),
      score: Math.round(f.score * 10000) / 10000,
      box: f.box.map(round),
      landmarks: f.landmarks.map((p) => p.map(round)),
    })),
  });
}

async function write(out: Writable, text: string): Promise<void> {
  if (!out.write(text)) await once(out, 'drain');
}

async function videoCommand(file: string, flags: VideoFlags): Promise<number> {
  const out: Writable | undefined = flags.jsonl
    ? fs.createWriteStream(flags.jsonl)
    : process.stdout.isTTY
      ? undefined
      : process.stdout;
  const showBar = flags.progress !== false && process.stderr.isTTY === true;
  const detector = await Detector.create(detectorOptions(flags));
  const bar = showBar
    ? new cliProgress.SingleBar(
        {
          format: 'video |{bar}| {percentage}% | frame {frame} | {fps} frames/s | ETA {eta_formatted}',
          hideCursor: true,
          stream: process.stderr,
        },
        cliProgress.Presets.shades_classic,
      )
    : undefined;
  let annotator: VideoAnnotator | undefined;
  const start = performance.now();
  let frames = 0;
  let lastIndex = -1;
  let faces = 0;
  const tracks = new Set<number>();
  const controller = new AbortController();
  const onSignal = () => controller.abort();
  process.once('SIGINT', onSignal);
  try {
    if (flags.annotate !== undefined) annotator = await VideoAnnotator.open(file, flags.annotate);
    for await (const result of detector.detectVideo(file, {
      signal: controller.signal,
      ...(flags.every !== undefined ? { every: flags.every } : {}),
      ...(flags.track ? { track: true } : {}),
      ...(flags.start !== undefined ? { start: flags.start } : {}),
      ...(flags.end !== undefined ? { end: flags.end } : {}),
      ...(flags.maxFrames !== undefined ? { maxFrames: flags.maxFrames } : {}),
    })) {
      frames++;
      lastIndex = result.index;
      faces += result.faces.length;
      for (const face of result.faces) if (face.trackId !== undefined) tracks.add(face.trackId);
      if (out) await write(out, `${frameLine(result)}\n`);
      await annotator?.add(result);
      if (bar) {
        const total = Math.max(1, Math.round(Math.min(result.durationMs ?? 0, flags.end ?? Infinity)));
        if (frames === 1) bar.start(total, 0, { frame: 0, fps: '0.0' });
        const fps = (frames / ((performance.now() - start) / 1000)).toFixed(1);
        bar.update(Math.min(total, Math.round(result.timeMs)), { frame: result.index, fps });
      }
    }
    // The frames after the last detection: to the end of the video, unless the detection stopped early.
    const stoppedEarly = flags.maxFrames !== undefined && frames >= flags.maxFrames;
    await annotator?.finish({
      ...(stoppedEarly ? { index: lastIndex + (flags.every ?? 1) } : {}),
      ...(flags.end !== undefined ? { ms: flags.end } : {}),
    });
  } finally {
    await annotator?.abort();
    process.off('SIGINT', onSignal);
    bar?.stop();
    if (out && out !== process.stdout) {
      out.end();
      await once(out, 'finish');
    }
    await detector.close();
  }
  const seconds = (performance.now() - start) / 1000;
  const trackText = flags.track ? `, ${tracks.size} track${tracks.size === 1 ? '' : 's'}` : '';
  console.error(
    `${file}: ${frames} frames, ${faces} faces${trackText} in ${seconds.toFixed(1)} s (${(frames / seconds).toFixed(1)} frames/s)`,
  );
  if (annotator) console.error(`annotated: ${flags.annotate} (${annotator.frames} frames)`);
  return 0;
}

export function registerVideoCommand(program: Command): void {
  program
    .command('video')
    .description('detect faces in every frame of a video (needs the optional package @ffmpeg-installer/ffmpeg)')
    .argument('<file>', 'video file (MP4, MOV, WebM, MKV, …: H.264, H.265, VP9, AV1)')
    .option('--jsonl <file>', 'write one JSON line per frame here (default: stdout when it is not a terminal)')
    .option(
      '--annotate <file>',
      'write a copy of the video with boxes, landmarks and track ids drawn (.mp4: H.264, .webm: VP9; no audio)',
    )
    .option('--every <n>', 'detect on every Nth frame only', parseInteger)
    .option('--track', 'give each face a track id that follows it across frames')
    .option('--start <ms>', 'skip frames before this time', parseNumber)
    .option('--end <ms>', 'stop at this time', parseNumber)
    .option('--max-frames <n>', 'stop after this many frames', parseInteger)
    .option('--no-progress', 'no progress bar, even on a terminal')
    .addOption(modelOption())
    .addOption(scoreOption())
    .addOption(nmsOption())
    .addOption(inputSizeOption())
    .addOption(backendOption())
    .action(async (file: string, flags: VideoFlags) => {
      process.exitCode = await videoCommand(file, flags);
    });
}
