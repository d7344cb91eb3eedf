/**
 * Aligned crops per second on the CPU (issue 19): the 511 faces of ../shared/data/reference/align_photos, their
 * photos decoded once beforehand. Two ways of calling:
 *   single   alignFace(pixels, landmarks) awaited one face at a time (one native call and job-thread round trip each)
 *   batched  all faces of a photo in one native call, as detector.detectAndAlign makes it
 * Each mode runs in rounds of --seconds / --rounds; the median round is reported, with the process's CPU time per
 * crop (all threads): on a shared machine the wall-clock rate depends on the load, and the job thread runs at nice +5,
 * so a long batch loses the CPU to other processes where short single calls do not.
 * Writes benchmarks/results/align-<date>.{json,md}.
 *   npx tsx benchmarks/align.ts [--size 112] [--seconds 6] [--rounds 6]
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Command } from 'commander';
import sharp from 'sharp';
import { alignDecoded } from '../lib/align';
import type { RawPixels } from '../lib/binding';
import { alignFace } from '../lib/index';
import { describeMachine } from './common/machine';
import { RESULTS_DIR, writeReport } from './common/report';
import { SHARED } from './harness/images';
import { median } from './harness/stats';

const ALIGN = path.join(SHARED, 'data/reference/align_photos');

interface Photo {
  pixels: RawPixels;
  faces: [number, number][][];
}

async function loadPhotos(): Promise<Photo[]> {
  const json = JSON.parse(fs.readFileSync(path.join(ALIGN, 'align.json'), 'utf8')) as {
    faces: { image: string; landmarks: [number, number][] }[];
  };
  const byImage = new Map<string, [number, number][][]>();
  for (const face of json.faces) byImage.set(face.image, [...(byImage.get(face.image) ?? []), face.landmarks]);
  const photos: Photo[] = [];
  for (const [image, faces] of byImage) {
    const { data, info } = await sharp(path.join(SHARED, 'data/photos', image))
      .autoOrient()
      .removeAlpha()
      .raw()
      .toBuffer({ resolveWithObject: true });
    photos.push({ pixels: { data, width: info.width, height: info.height, channels: info.channels as 1 | 3 }, faces });
  }
  return photos;
}

const cpuMs = () => {
  const usage = process.resourceUsage();
  return (usage.userCPUTime + usage.systemCPUTime) / 1000;
};

/** Crops per second of `step` (which returns how many crops it made) per round, and CPU ms per crop overall. */
async function rounds(
  count: number,
  seconds: number,
  step: () => Promise<number>,
): Promise<{ rates: number[]; cpuMsPerCrop: number }> {
  const rates: number[] = [];
  let allCrops = 0;
  const cpu0 = cpuMs();
  for (let r = 0; r < count; r++) {
    let crops = 0;
    const t0 = performance.now();
    while (performance.now() - t0 < (seconds * 1000) / count) crops += await step();
    rates.push(crops / ((performance.now() - t0) / 1000));
    allCrops += crops;
  }
  return { rates, cpuMsPerCrop: (cpuMs() - cpu0) / allCrops };
}

async function main(): Promise<void> {
  const options = new Command()
    .option('--size <pixels>', 'crop side', (v) => Number(v), 112)
    .option('--seconds <s>', 'seconds per mode', (v) => Number(v), 6)
    .option('--rounds <n>', 'rounds per mode', (v) => Number(v), 6)
    .parse()
    .opts<{ size: number; seconds: number; rounds: number }>();
  const photos = await loadPhotos();
  const faces = photos.flatMap((photo) => photo.faces.map((landmarks) => ({ pixels: photo.pixels, landmarks })));
  // Warm-up: the job thread, the addon, the allocator.
  for (const photo of photos) await alignDecoded(photo.pixels, photo.faces, options.size);

  let nextFace = 0;
  const single = await rounds(options.rounds, options.seconds, async () => {
    const face = faces[nextFace++ % faces.length]!;
    await alignFace(face.pixels, face.landmarks, { size: options.size });
    return 1;
  });
  let nextPhoto = 0;
  const batched = await rounds(options.rounds, options.seconds, async () => {
    const photo = photos[nextPhoto++ % photos.length]!;
    await alignDecoded(photo.pixels, photo.faces, options.size);
    return photo.faces.length;
  });

  const result = {
    date: new Date().toISOString(),
    machine: describeMachine(),
    settings: options,
    faces: faces.length,
    photos: photos.length,
    cropsPerSecond: { single: median(single.rates), batched: median(batched.rates) },
    cpuMsPerCrop: { single: single.cpuMsPerCrop, batched: batched.cpuMsPerCrop },
    rounds: { single: single.rates, batched: batched.rates },
    loadAverage: os.loadavg(),
  };
  const day = result.date.slice(0, 10);
  const fmt = (v: number) => Math.round(v).toLocaleString('en-US');
  const md = [
    `# Aligned face crops per second on the CPU, ${options.size}x${options.size} (${day})`,
    '',
    `${result.machine.cpu}, ${result.machine.cores} cores (shared); ${faces.length} faces of ${photos.length} photos ` +
      `(reference/align_photos), decoded beforehand; median of ${options.rounds} rounds over ${options.seconds} s per mode; ` +
      `load average ${result.loadAverage.map((v) => v.toFixed(1)).join(', ')}.`,
    '',
    '| mode | crops/s | ms per crop | CPU ms per crop (all threads) | rounds (crops/s) |',
    '|---|---|---|---|---|',
    ...(['single', 'batched'] as const).map((mode) => {
      const rate = result.cropsPerSecond[mode];
      return (
        `| ${mode === 'single' ? 'alignFace, one face per call' : 'one call per photo (detectAndAlign)'} | ${fmt(rate)} | ` +
        `${(1000 / rate).toFixed(3)} | ${result.cpuMsPerCrop[mode].toFixed(3)} | ${result.rounds[mode].map(fmt).join(', ')} |`
      );
    }),
    '',
    "Both include the similarity estimate (JS thread) and the warp (the addon's job thread, one core, nice +5). " +
      'CPU time per crop is the load-independent figure; with other processes busy, one long batch on the nice +5 job ' +
      'thread gets a smaller share of the CPU than short single calls do, so its wall-clock rate drops first.',
    '',
  ].join('\n');
  writeReport(path.join(RESULTS_DIR, `align-${day}`), result, md);
  process.stdout.write(md);
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
