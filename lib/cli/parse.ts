/**
 * Argument parsers shared by the CLI commands. Each accepts plain decimal text only: `Number()` alone would read
 * '' and '  ' as 0 and '0x10' as 16, so `--score ''` used to mean "keep every face".
 */
import { InvalidArgumentError } from 'commander';
import type { InputSize } from '../options';

const DECIMAL = /^[+-]?(?:\d+\.?\d*|\.\d+)(?:e[+-]?\d+)?$/i;
const INTEGER = /^[+-]?\d+$/;

export function parseNumber(value: string): number {
  const text = value.trim();
  const n = DECIMAL.test(text) ? Number(text) : NaN;
  if (!Number.isFinite(n)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not a number`);
  return n;
}

export function parseInteger(value: string): number {
  const text = value.trim();
  const n = INTEGER.test(text) ? Number(text) : NaN;
  if (!Number.isSafeInteger(n)) throw new InvalidArgumentError(`${JSON.stringify(value)} is not an integer`);
  return n;
}

export function parseInputSize(value: string): InputSize {
  const text = value.trim();
  if (text === 'original') return 'original';
  const parts = text.split(/[x,]/);
  if (parts.every((part) => /^\d+$/.test(part.trim()))) {
    const sides = parts.map(Number);
    if (sides.length === 1) return sides[0]!;
    if (sides.length === 2) return [sides[0]!, sides[1]!];
  }
  throw new InvalidArgumentError("expected 'original', a side like 640, or WIDTHxHEIGHT");
}

/** "20MB", "512kb", "1048576" -> bytes. */
export function parseBytes(value: string): number {
  const m = /^(\d+(?:\.\d+)?)\s*(b|kb|kib|mb|mib|gb|gib)?$/i.exec(value.trim());
  if (!m) throw new InvalidArgumentError('expected a size like 20MB or 1048576');
  const unit = (m[2] ?? 'b').toLowerCase();
  const scale = unit.startsWith('k') ? 1024 : unit.startsWith('m') ? 1024 ** 2 : unit.startsWith('g') ? 1024 ** 3 : 1;
  return Math.floor(Number(m[1]) * scale);
}
