/**
 * Reading the files the model commands take (a .pth, an .onnx): regular files only, and no larger than a RetinaFace
 * can be. Reading a FIFO or a device would wait forever (convert hung on one); a huge file would be read whole.
 */
import fs from 'node:fs/promises';
import type { Stats } from 'node:fs';
import { type ErrorCode, RetinaFaceError } from '../errors';
import { fileKind } from '../file-kind';

/** Throws INVALID_ARGUMENT when `file` exists but is not a regular file; returns its stats, or undefined if absent. */
export async function checkRegularFile(file: string): Promise<Stats | undefined> {
  const stats = await fs.stat(file).catch(() => undefined);
  if (stats && !stats.isFile())
    throw new RetinaFaceError('INVALID_ARGUMENT', `'${file}' is ${fileKind(stats)}, not a model file`);
  return stats;
}

export interface ReadLimits {
  /** Largest file accepted. */
  maxBytes: number;
  /** The code for a file over maxBytes (CHECKPOINT_INVALID for weights, MODEL_INVALID for ONNX). */
  tooLargeCode: ErrorCode;
  /** What the file is, for messages: 'weights file'. */
  what: string;
}

/** Reads a whole regular file of at most `limits.maxBytes`; MODEL_NOT_FOUND when it cannot be read. */
export async function readModelInput(file: string, limits: ReadLimits): Promise<Buffer> {
  const stats = await checkRegularFile(file);
  const tooLarge = (size: number) =>
    new RetinaFaceError(
      limits.tooLargeCode,
      `the ${limits.what} '${file}' has ${size} bytes, more than any RetinaFace needs (${limits.maxBytes})`,
    );
  if (stats && stats.size > limits.maxBytes) throw tooLarge(stats.size);
  let bytes: Buffer;
  try {
    bytes = await fs.readFile(file);
  } catch (error) {
    throw new RetinaFaceError(
      'MODEL_NOT_FOUND',
      `cannot read the ${limits.what} '${file}': ${(error as Error).message}`,
      { cause: error },
    );
  }
  if (bytes.length > limits.maxBytes) throw tooLarge(bytes.length); // it grew after the stat
  return bytes;
}
