/**
 * Per-request options from the query string of POST /detect: `scoreThreshold` (only stricter than the detector's)
 * and `maxFaces`, passed to detect() as call options, which checks their ranges. Anything else, a repeated key or a
 * value that is not a number, is refused (400 INVALID_ARGUMENT) rather than silently ignored.
 */
import { RetinaFaceError } from '../errors';

export interface QueryOptions {
  scoreThreshold?: number;
  maxFaces?: number;
}

const NUMBER = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

function numeric(name: string, value: unknown): number {
  if (Array.isArray(value))
    throw new RetinaFaceError('INVALID_ARGUMENT', `query parameter ${name} given more than once`);
  if (typeof value !== 'string' || !NUMBER.test(value)) {
    throw new RetinaFaceError(
      'INVALID_ARGUMENT',
      `query parameter ${name} must be a number (got ${JSON.stringify(value)})`,
    );
  }
  return Number(value);
}

export function parseQueryOptions(query: unknown): QueryOptions {
  const options: QueryOptions = {};
  for (const [name, value] of Object.entries((query ?? {}) as Record<string, unknown>)) {
    if (name !== 'scoreThreshold' && name !== 'maxFaces') {
      throw new RetinaFaceError(
        'INVALID_ARGUMENT',
        `unknown query parameter ${JSON.stringify(name)} (known: scoreThreshold, maxFaces)`,
      );
    }
    options[name] = numeric(name, value); // ranges are the detector's to check (against its own settings)
  }
  return options;
}
