/**
 * Downloads one file with Node's fetch, checks its size and sha256 while it streams, and moves it into place only
 * when both match: the target path never holds a partial or wrong file.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import { RetinaFaceError } from '../errors';
import { tempPathFor } from './atomic-write';
import { createProgress, type Progress, type ProgressMode } from './progress';

export interface ExpectedFile {
  size: number;
  sha256: string;
}

export interface DownloadOptions {
  progress?: ProgressMode;
  /** Label of the progress bar. */
  label?: string;
  /** Give up when no byte arrives for this long. Default 30 s. */
  idleTimeoutMs?: number;
}

function failed(url: string, detail: string, cause?: unknown): RetinaFaceError {
  return new RetinaFaceError('MODEL_DOWNLOAD_FAILED', `downloading ${url} failed: ${detail}`, { cause });
}

/** The deepest `cause` message: fetch reports "fetch failed" and hides ECONNREFUSED / ENOTFOUND one level down. */
function reason(error: unknown): string {
  let current = error as { message?: string; code?: string; cause?: unknown } | undefined;
  let text = current?.message ?? String(error);
  while (current?.cause && typeof current.cause === 'object') {
    current = current.cause as typeof current;
    text = current.code ? `${current.code}: ${current.message ?? ''}` : (current.message ?? text);
  }
  return text;
}

export async function downloadVerified(
  url: string,
  target: string,
  expected: ExpectedFile,
  options: DownloadOptions = {},
): Promise<void> {
  const idleTimeoutMs = options.idleTimeoutMs ?? 30_000;
  const controller = new AbortController();
  let timer = setTimeout(() => controller.abort(), idleTimeoutMs);
  const touch = () => {
    clearTimeout(timer);
    timer = setTimeout(() => controller.abort(), idleTimeoutMs);
  };
  await fs.mkdir(path.dirname(target), { recursive: true });
  const temp = tempPathFor(target);
  let progress: Progress | undefined;
  try {
    let response: Response;
    try {
      response = await fetch(url, { signal: controller.signal, redirect: 'follow' });
    } catch (error) {
      const why = controller.signal.aborted ? `no answer within ${idleTimeoutMs / 1000} s` : reason(error);
      const offline = /ENOTFOUND|EAI_AGAIN|ENETUNREACH|EHOSTUNREACH|ETIMEDOUT/.test(why)
        ? ' (is this machine offline?)'
        : '';
      throw failed(url, `${why}${offline}`, error);
    }
    if (!response.ok || !response.body) {
      await response.body?.cancel();
      throw failed(url, `HTTP ${response.status} ${response.statusText}`.trim());
    }
    const announced = Number(response.headers.get('content-length') ?? NaN);
    const encoded = (response.headers.get('content-encoding') ?? 'identity') !== 'identity'; // then the length is compressed
    if (Number.isFinite(announced) && !encoded && announced !== expected.size) {
      await response.body.cancel();
      throw failed(url, `the server offers ${announced} bytes, the registry expects ${expected.size}`);
    }

    progress = createProgress(options.label ?? path.basename(target), expected.size, options.progress ?? 'auto');
    const hash = createHash('sha256');
    const file = await fs.open(temp, 'w');
    let received = 0;
    try {
      for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) {
        touch();
        received += chunk.length;
        if (received > expected.size) throw failed(url, `more than the expected ${expected.size} bytes arrived`);
        hash.update(chunk);
        await file.write(chunk);
        progress.update(received);
      }
      await file.sync();
    } catch (error) {
      if (error instanceof RetinaFaceError) throw error;
      const why = controller.signal.aborted ? `stalled for ${idleTimeoutMs / 1000} s` : reason(error);
      throw failed(url, `the transfer broke off after ${received} of ${expected.size} bytes (${why})`, error);
    } finally {
      await file.close();
    }
    if (received !== expected.size)
      throw failed(url, `the transfer ended after ${received} of ${expected.size} bytes (truncated)`);
    const digest = hash.digest('hex');
    if (digest !== expected.sha256) {
      throw failed(
        url,
        `the file's sha256 is ${digest}, the registry expects ${expected.sha256} (corrupted or replaced upstream)`,
      );
    }
    await fs.rename(temp, target);
  } finally {
    clearTimeout(timer);
    progress?.stop();
    await fs.rm(temp, { force: true });
  }
}
