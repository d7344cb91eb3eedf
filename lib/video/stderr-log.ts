/**
 * What ffmpeg says on stderr (run with `-loglevel level+verbose -debug_ts`): the container it found, the frame size
 * each time our scale filter is configured, one `encoder <-` line per frame (its timestamp), and errors. The frames
 * themselves come on stdout.
 */

export type LogEvent =
  /** Our scale filter was configured: frames come in at `width` x `height` (displayed) and leave at `outWidth` x `outHeight`. */
  | { kind: 'size'; width: number; height: number; outWidth: number; outHeight: number }
  /** One frame went to the (rawvideo) encoder: its presentation time, undefined when the stream gave none. */
  | { kind: 'frame'; ms: number | undefined }
  | { kind: 'input'; format: string }
  | { kind: 'duration'; ms: number }
  /** A video stream's average frame rate (its `fps`, else its `tbr`), from the stream list. */
  | { kind: 'frameRate'; fps: number }
  | { kind: 'error'; message: string }
  | { kind: 'other' };

// `-debug_ts`, once per frame sent to the encoder (ffmpeg 4.1 to 7), in the encoder's time base (90 kHz, set by the
// decoder's arguments): an integer, so timestamps keep their precision however long the video.
const ENCODER = /\bencoder <- type:video frame_pts:(-?\d+|NOPTS)\b.*?\btime_base:(\d+)\/(\d+)/;
// vf_scale's configuration line (verbose): "w:1920 h:1080 fmt:yuv420p … -> w:640 h:360 fmt:rgb24 …".
const SCALE = /\[Parsed_scale_\d+ @ [^\]]*\] \[verbose\] w:(\d+) h:(\d+) .*-> w:(\d+) h:(\d+) /;
const INPUT = /^\[info\] Input #0, ([^ ]+), from /;
const DURATION = /^\[info\]\s+Duration: (\d+):(\d+):(\d+(?:\.\d+)?)/;
const LEVEL = /\[(error|fatal|panic)\] (.*)$/;
const VIDEO_STREAM = /^\[info\]\s+Stream #\d+:\d+.*?: Video: /;
// "25 fps", "29.97 fps", "1k tbr" (ffmpeg prints rates of 1000 and more in thousands).
const RATE = (unit: string) => new RegExp(`, (\\d+(?:\\.\\d+)?)(k?) ${unit}\\b`);
const FPS = RATE('fps');
const TBR = RATE('tbr');

export function parseLogLine(line: string): LogEvent {
  // Most lines are -debug_ts's, several a frame: the cheap tests first.
  if (line.includes('encoder <- ')) {
    const m = ENCODER.exec(line);
    if (!m) return { kind: 'other' };
    // Multiplied before dividing: a whole number of ms comes out exact (33300 / 90 kHz is 370 ms, not 370.00000000000006).
    return { kind: 'frame', ms: m[1] === 'NOPTS' ? undefined : (Number(m[1]) * Number(m[2]) * 1000) / Number(m[3]) };
  }
  // The other -debug_ts lines (demuxer, decoder, filter, encoder, muxer) and the stream mapping: nothing we read.
  if (line.startsWith('[info] ') && (line.includes(' -> ') || line.includes(' <- '))) return { kind: 'other' };
  if (line.includes('Parsed_scale_')) {
    const m = SCALE.exec(line);
    if (m)
      return {
        kind: 'size',
        width: Number(m[1]),
        height: Number(m[2]),
        outWidth: Number(m[3]),
        outHeight: Number(m[4]),
      };
    return { kind: 'other' };
  }
  const input = INPUT.exec(line);
  if (input) return { kind: 'input', format: input[1]!.replace(/,$/, '') };
  if (VIDEO_STREAM.test(line)) {
    const m = FPS.exec(line) ?? TBR.exec(line);
    if (m) return { kind: 'frameRate', fps: Number(m[1]) * (m[2] ? 1000 : 1) };
  }
  const duration = DURATION.exec(line);
  if (duration)
    return {
      kind: 'duration',
      ms: ((Number(duration[1]) * 60 + Number(duration[2])) * 60 + Number(duration[3])) * 1000,
    };
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
