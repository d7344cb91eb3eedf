/**
 * How far detections on frames decoded at the detector's size (detectVideo's default, `decodeSize: 'detector'`:
 * ffmpeg scales) agree with detections on full-size frames (`decodeSize: 'full'`: our letterbox scales), frame by
 * frame on the three test clips: face counts, IoU of matched faces, and the faces only one side found.
 *   npx tsx benchmarks/video-agreement.ts [--every 2] [--input-size 640]
 */
import path from 'node:path';
import { Command } from 'commander';
import { Detector, type Face } from '../lib';
import { matchFaces } from '../lib/verify';
import { BENCH_MODEL } from './harness/images';

const VIDEO = path.resolve(__dirname, '../../shared/data/video');
const CLIPS = ['sample_1080p30.mp4', 'sample_portrait_rot90.mp4', 'sample_720p_vp9.webm'];

async function facesByFrame(detector: Detector, clip: string, every: number, decodeSize: 'detector' | 'full') {
  const frames: Array<{ size: string; faces: Face[] }> = [];
  for await (const r of detector.detectVideo(clip, { every, decodeSize }))
    frames.push({ size: `${r.width}x${r.height}`, faces: r.faces });
  return frames;
}

const quantile = (sorted: number[], q: number) =>
  sorted.length ? sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]! : NaN;

async function main(flags: { every: number; inputSize: number }): Promise<void> {
  const detector = await Detector.create({ model: BENCH_MODEL, inputSize: flags.inputSize });
  try {
    console.log(
      `| clip (${flags.every === 1 ? 'every frame' : `every ${flags.every}th frame`}) | frames | faces full / detector size | frames with the same count | matched | IoU mean | IoU 1st percentile | IoU min | unmatched full / detector size (highest score) |`,
    );
    console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
    for (const name of CLIPS) {
      const clip = path.join(VIDEO, name);
      const full = await facesByFrame(detector, clip, flags.every, 'full');
      const scaled = await facesByFrame(detector, clip, flags.every, 'detector');
      if (full.length !== scaled.length)
        throw new Error(`${name}: ${full.length} frames full size, ${scaled.length} at detector size`);
      const ious: number[] = [];
      const unmatched = { full: [] as number[], scaled: [] as number[] };
      let sameCount = 0;
      let facesFull = 0;
      let facesScaled = 0;
      full.forEach((frame, i) => {
        const other = scaled[i]!;
        if (frame.size !== other.size)
          throw new Error(`${name} frame ${i}: ${frame.size} full, ${other.size} at detector size`);
        facesFull += frame.faces.length;
        facesScaled += other.faces.length;
        if (frame.faces.length === other.faces.length) sameCount++;
        const { pairs, cpuLeft, trtLeft } = matchFaces(frame.faces, other.faces, 0.3);
        for (const [, , overlap] of pairs) ious.push(overlap);
        unmatched.full.push(...cpuLeft.map((f) => f.score));
        unmatched.scaled.push(...trtLeft.map((f) => f.score));
      });
      ious.sort((a, b) => a - b);
      const mean = ious.reduce((s, v) => s + v, 0) / Math.max(1, ious.length);
      const top = (scores: number[]) => (scores.length ? ` (${Math.max(...scores).toFixed(2)})` : '');
      console.log(
        `| ${name} | ${full.length} | ${facesFull} / ${facesScaled} | ${sameCount} | ${ious.length} | ${mean.toFixed(3)} | ${quantile(
          ious,
          0.01,
        ).toFixed(3)} | ${(ious[0] ?? NaN).toFixed(3)} | ${unmatched.full.length}${top(unmatched.full)} / ${
          unmatched.scaled.length
        }${top(unmatched.scaled)} |`,
      );
    }
  } finally {
    await detector.close();
  }
}

new Command('video-agreement')
  .option('--every <n>', 'compare every Nth frame', (v) => Number(v), 2)
  .option('--input-size <n>', 'detector input size', (v) => Number(v), 640)
  .action(async (flags: { every: number; inputSize: number }) => main(flags))
  .parseAsync(process.argv)
  .catch((error: unknown) => {
    console.error(error);
    process.exitCode = 1;
  });
