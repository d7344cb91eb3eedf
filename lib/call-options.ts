/**
 * Options of one detect() call, checked before the call takes a queue place (a bad one is INVALID_ARGUMENT and
 * costs nothing), and the stricter per-call filters applied to a result.
 */
import { RetinaFaceError } from './errors';
import type { Face } from './faces';
import { describeValue, numberIn } from './options';

export interface DetectCallOptions {
  /** Aborting takes the call out of the queue (or drops its result) and rejects it with ABORTED, at once. */
  signal?: AbortSignal;
  /**
   * Drop faces scoring at or below this, for this call only. At least the detector's scoreThreshold (a call can
   * only be stricter); the result is exactly what a detector created with this threshold gives.
   */
  scoreThreshold?: number;
  /**
   * Keep at most this many faces (highest scores first), for this call only: 1 up to the detector's maxFaces
   * (any count when the detector has no cap, maxFaces 0; 0 here only where the detector's is 0 as well).
   */
  maxFaces?: number;
}

/** What a call asked for, validated; filters are undefined where the detector's own settings already apply. */
export interface ResolvedCallOptions {
  signal: AbortSignal | undefined;
  scoreThreshold: number | undefined;
  maxFaces: number | undefined;
}

const KNOWN = new Set(['signal', 'scoreThreshold', 'maxFaces']);

function invalid(message: string): never {
  throw new RetinaFaceError('INVALID_ARGUMENT', message);
}

/** An AbortSignal, or one from another realm or a polyfill: what the queue uses of it is there. */
function isAbortSignal(value: unknown): value is AbortSignal {
  if (value instanceof AbortSignal) return true;
  const candidate = value as Partial<AbortSignal> | null;
  return (
    typeof candidate === 'object' &&
    candidate !== null &&
    typeof candidate.aborted === 'boolean' &&
    typeof candidate.addEventListener === 'function' &&
    typeof candidate.removeEventListener === 'function'
  );
}

/** Validates `options` against the detector's own thresholds (`limits`), without side effects. */
export function resolveCallOptions(
  options: unknown,
  limits: { scoreThreshold: number; maxFaces: number },
): ResolvedCallOptions {
  if (options === undefined) return { signal: undefined, scoreThreshold: undefined, maxFaces: undefined };
  if (typeof options !== 'object' || options === null || Array.isArray(options)) {
    invalid(`call options must be an object like { signal, scoreThreshold, maxFaces }, got ${describeValue(options)}`);
  }
  const given = options as Record<string, unknown>;
  for (const key of Object.keys(given)) {
    if (!KNOWN.has(key)) invalid(`unknown call option '${key}' (known: ${[...KNOWN].join(', ')})`);
  }
  const { signal, scoreThreshold, maxFaces } = given;
  if (signal !== undefined && !isAbortSignal(signal))
    invalid(`signal must be an AbortSignal, got ${describeValue(signal)}`);
  const cap = limits.maxFaces;
  return {
    signal: signal as AbortSignal | undefined,
    scoreThreshold:
      scoreThreshold === undefined
        ? undefined
        : numberIn(
            `scoreThreshold (per call: the detector's ${limits.scoreThreshold} or more)`,
            scoreThreshold,
            limits.scoreThreshold,
            1,
          ),
    maxFaces:
      maxFaces === undefined
        ? undefined
        : cap === 0
          ? numberIn('maxFaces (per call)', maxFaces, 0, 1e6, true)
          : numberIn(`maxFaces (per call: 1 up to the detector's ${cap})`, maxFaces, 1, cap, true),
  };
}

/**
 * Applies a call's stricter filters to the faces of the detector's decode + NMS (sorted by score, highest first).
 * Exact: a face that survives NMS at a lower threshold survives it at a higher one (whatever suppressed a face
 * scores higher than it), so filtering afterwards equals filtering before. Scores compare as float32, as the
 * native filter does.
 */
export function applyCallFilters(faces: Face[], options: ResolvedCallOptions): Face[] {
  let result = faces;
  if (options.scoreThreshold !== undefined) {
    const threshold = Math.fround(options.scoreThreshold);
    result = result.filter((face) => face.score > threshold);
  }
  if (options.maxFaces && result.length > options.maxFaces) result = result.slice(0, options.maxFaces);
  return result;
}
