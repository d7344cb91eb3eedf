/**
 * Per-request options from the query string of POST /detect: `scoreThreshold` (only stricter than the detector's)
 * and `maxFaces`. Anything else, a repeated key or a value that is not a number, is refused (400 INVALID_ARGUMENT)
 * rather than silently ignored.
 */
import { RetinaFaceError } from '../errors';
import type { Face } from '../faces';

export interface QueryOptions {
  scoreThreshold?: number;
  maxFaces?: number;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function numeric(name: string, value: unknown): number {
  if (Array.isArray(value)) throw new RetinaFaceError('INVALID_ARGUMENT', `query parameter ${name} given more than once`);
  if (typeof value !== 'string' || !NUMBER.test(value)) {
    throw new RetinaFaceError('INVALID_ARGUMENT', `query parameter ${name} must be a number (got ${JSON.stringify(value)})`);
  }
  return Number(value);
}

export function parseQueryOptions(query: unknown): QueryOptions {
  const options: QueryOptions = {};
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (name === 'scoreThreshold') {
      const threshold = numeric(name, value);
      if (threshold < 0 || threshold > 1) throw new RetinaFaceError('INVALID_ARGUMENT', `scoreThreshold must be in [0, 1] (got ${threshold})`);
      options.scoreThreshold = threshold;
    } else if (name === 'maxFaces') {
      const max = numeric(name, value);
      if (!Number.isInteger(max) || max < 0) throw new RetinaFaceError('INVALID_ARGUMENT', `maxFaces must be an integer >= 0 (got ${max})`);
      options.maxFaces = max;
    } else {
      throw new RetinaFaceError('INVALID_ARGUMENT', `unknown query parameter ${JSON.stringify(name)} (known: scoreThreshold, maxFaces)`);
    }
  }
  return options;
}

/**
 * Applies the options to faces the detector returned. Where the detector applies them itself this changes nothing;
 * it keeps the answer right for a detector that does not. Scores at or below the threshold are dropped (as the
 * detector's own threshold does); maxFaces 0 means no cap.
 */
export function applyQueryOptions(faces: Face[], { scoreThreshold, maxFaces }: QueryOptions): Face[] {
  let kept = scoreThreshold === undefined ? faces : faces.filter((face) => face.score > scoreThreshold);
  if (maxFaces && kept.length > maxFaces) kept = [...kept].sort((a, b) => b.score - a.score).slice(0, maxFaces);
  return kept;
}
