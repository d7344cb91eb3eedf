// Child process for test/hostile-input.test.ts: runs `calls` concurrent detections of one large (legal) image file
// with the detector options given as JSON, and prints the process's peak RSS, so the parent can bound what many
// large images in flight make the process hold.
import { Detector, type DetectorOptions } from '../../lib';
import { MODEL_DYNAMIC } from './shared';

async function main(): Promise<void> {
  const [image, calls, optionsJson] = [process.argv[2]!, Number(process.argv[3]), process.argv[4] ?? '{}'];
  const options = JSON.parse(optionsJson) as DetectorOptions;
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', ...options });
  const before = process.memoryUsage().rss / 1024; // KB, as maxRSS
  const results = await Promise.allSettled(Array.from({ length: calls }, () => detector.detect(image)));
  const peak = process.resourceUsage().maxRSS;
  await detector.close();
  const failed = results
    .filter((r) => r.status === 'rejected')
    .map((r) => (r as PromiseRejectedResult).reason.code as string);
  process.stdout.write(
    JSON.stringify({ calls, beforeMB: Math.round(before / 1024), peakMB: Math.round(peak / 1024), failed }) + '\n',
  );
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 2;
});
