/** Files appear whole or not at all: write a temp file beside the target, then rename (atomic on one filesystem). */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { RetinaFaceError } from '../errors';

/** A temp name in the target's folder, unique per process and call. */
export function tempPathFor(target: string): string {
  return path.join(
    path.dirname(target),
    `.${path.basename(target)}.${process.pid}.${randomBytes(4).toString('hex')}.part`,
  );
}

/** Refuses a target that is a directory before any work is spent on what would be written there. */
export async function checkFileTarget(target: string): Promise<void> {
  const stat = await fs.stat(target).catch(() => undefined);
  if (stat?.isDirectory()) {
    throw new RetinaFaceError(
      'INVALID_ARGUMENT',
      `the output '${target}' is a directory; give a file name, e.g. ${path.join(target, 'model.onnx')}`,
    );
  }
}

export async function writeFileAtomic(target: string, data: Uint8Array): Promise<void> {
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  try {
    await fs.writeFile(temp, data);
    await fs.rename(temp, target);
  } catch (error) {
    await fs.rm(temp, { force: true });
    throw error;
  }
}
