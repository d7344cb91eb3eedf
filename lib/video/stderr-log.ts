/**
 * What ffmpeg says on stderr (run with `-loglevel level+info`): the container it found, one showinfo line per frame
 * (timestamp and displayed size), and errors. The frames themselves come on stdout.
 */

export interface FrameInfo {
  /** Output frame number (after `select`, when every > 1). */
  n: number;
  /** Presentation time in seconds, from the stream's own timestamps. */
  ptsTime: number;
  width: number;
  height: number;
}

export type LogEvent =
  | { kind: 'frame'; info: FrameInfo }
  | { kind: 'input'; format: string }
  | { kind: 'duration'; ms: number }
  | { kind: 'error'; message: string }
  | { kind: 'other' };

const SHOWINFO = /\bn:\s*(\d+)\s+pts:\s*(-?\d+)\s+pts_time:(\S+).*?\bs:(\d+)x(\d+)/;
const INPUT = /^\[info\] Input #0, ([^ ]+), from /;
const DURATION = /^\[info\]\s+Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/;
const LEVEL = /\[(error|fatal|panic)\] (.*)$/;

export function parseLogLine(line: string): LogEvent {
  if (line.includes('Parsed_showinfo')) {
    const m = SHOWINFO.exec(line);
    if (m) return { kind: 'frame', info: { n: Number(m[1]), ptsTime: Number(m[3]), width: Number(m[4]), height: Number(m[5]) } };
    return { kind: 'other' };
  }
  const input = INPUT.exec(line);
  if (input) return { kind: 'input', format: input[1]!.replace(/,$/, '') };
  const duration = DURATION.exec(line);
  if (duration) return { kind: 'duration', ms: ((Number(duration[1]) * 60 + Number(duration[2])) * 60 + Number(duration[3])) * 1000 };
  const error = LEVEL.exec(line);
  if (error) return { kind: 'error', message: error[2]!.trim() };
  return { kind: 'other' };
}

/**
 * Demuxers that open things that are not videos: still images, text rendered as frames (`tty` takes any .txt),
 * raw bytes. A file that only these accept is VIDEO_INVALID.
 */
export function isStillOrTextFormat(format: string): boolean {
  return /(^|,)(image2|tty|bin|ansi|adp|idf|xbin|txt|webvtt|srt|ass)(,|$)|_pipe$/.test(format);
}
