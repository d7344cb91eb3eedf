/** Argument parsers shared by the CLI commands. */
import { InvalidArgumentError } from 'commander';
import type { InputSize } from '../options';

export function parseNumber(value: string): number {
  const n = Number(value);
  if (!Number.isFinite(n)) throw new InvalidArgumentError('not a number');
  return n;
}

export function parseInteger(value: string): number {
  const n = Number(value);
  if (!Number.isInteger(n)) throw new InvalidArgumentError('not an integer');
  return n;
}

export function parseInputSize(value: string): InputSize {
  if (value === 'original') return 'original';
  const parts = value.split(/[x,]/).map(Number);
  if (parts.length === 1 && Number.isInteger(parts[0])) return parts[0]!;
  if (parts.length === 2 && parts.every(Number.isInteger)) return [parts[0]!, parts[1]!];
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
