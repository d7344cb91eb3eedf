// Child process for test/hostile-input.test.ts (run with --expose-gc): queues many raw-pixel calls, transfers each
// caller buffer away right after the call and collects it while the calls wait. Exits 0 only when every call gets
// the faces of an untouched run; a read of freed memory shows up as wrong faces or a crash (exit 139).
import sharp from 'sharp';
import { Detector } from '../../lib';
import { MODEL_DYNAMIC } from './shared';

const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

async function main(): Promise<void> {
  const [photo, callsArg] = process.argv.slice(2);
  const calls = Number(callsArg ?? 24);
  const { data, info } = await sharp(photo).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const pixels = (bytes: Uint8Array) => ({ data: bytes, width: info.width, height: info.height, channels: 3 as const });
  const detector = await Detector.create({ model: MODEL_DYNAMIC, backend: 'cpu', maxBatch: 4 });
  const expected = JSON.stringify(await detector.detect(pixels(new Uint8Array(data))));
  const pending: Promise<PromiseSettledResult<unknown>>[] = [];
  for (let i = 0; i < calls; i++) {
    const own = new ArrayBuffer(data.length);
    new Uint8Array(own).set(data);
    pending.push(Promise.allSettled([detector.detect(pixels(new Uint8Array(own)))]).then(([r]) => r!));
    structuredClone(own, { transfer: [own] }); // the moved memory has no owner left: the next gc frees it
    if (i % 4 === 3) gc!();
  }
  // Churn the heap while the calls are queued so freed pages are reused.
  for (let k = 0; k < 8; k++) {
    gc!();
    new Uint8Array(data.length).fill(255);
    await new Promise((resolve) => setImmediate(resolve));
  }
  const results = await Promise.all(pending);
  const wrong = results.filter((r) => r.status !== 'fulfilled' || JSON.stringify(r.value) !== expected).length;
  const firstError = results.find((r): r is PromiseRejectedResult => r.status === 'rejected')?.reason as
    Error | undefined;
  await detector.close();
  process.stdout.write(
    JSON.stringify({ calls, wrong, faces: JSON.parse(expected).length, error: firstError?.message }) + '\n',
  );
  process.exitCode = wrong === 0 ? 0 : 1;
}

main().catch((error: unknown) => {
  process.stderr.write(`${(error as Error).stack ?? String(error)}\n`);
  process.exitCode = 2;
});
