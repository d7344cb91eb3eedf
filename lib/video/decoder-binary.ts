/**
 * Where the video decoder lives: the static ffmpeg of the optional dependency @ffmpeg-installer/ffmpeg, or a binary
 * named by RETINAFACE_FFMPEG (a system ffmpeg, a newer build). docs/video.md says why this decoder.
 */
import fs from 'node:fs';
import { RetinaFaceError } from '../errors';

export const DECODER_PACKAGE = '@ffmpeg-installer/ffmpeg';

let cached: string | undefined;

/** The ffmpeg binary to run, or VIDEO_DECODER_MISSING saying how to add it. */
export function ffmpegPath(env: NodeJS.ProcessEnv = process.env): string {
  const override = env.RETINAFACE_FFMPEG;
  if (override) {
    if (!fs.existsSync(override)) {
      throw new RetinaFaceError(
        'VIDEO_DECODER_MISSING',
        `RETINAFACE_FFMPEG points to ${override}, which does not exist`,
      );
    }
    return override;
  }
  if (cached) return cached;
  let found: string | undefined;
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    found = (require(DECODER_PACKAGE) as { path?: string }).path;
  } catch {
    found = undefined;
  }
  if (!found || !fs.existsSync(found)) {
    throw new RetinaFaceError(
      'VIDEO_DECODER_MISSING',
      `video needs the optional decoder package: run \`npm install ${DECODER_PACKAGE}\` (a static ffmpeg from the npm ` +
        'registry, about 70 MB), or set RETINAFACE_FFMPEG to an ffmpeg binary',
    );
  }
  cached = found;
  return found;
}
