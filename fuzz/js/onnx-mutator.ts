/**
 * Structure-aware ONNX mutation: the fuzz input is a script of choices (read like libFuzzer's FuzzedDataProvider)
 * applied to a decoded model: replace a string (op types, tensor names, attribute names), a number (data types,
 * dims, attribute ints, opset), cut a byte field (raw_data), drop, duplicate or empty a repeated field, or delete a
 * sub-message. Byte flips in a protobuf mostly break its framing; this reaches the FP16 rewrite's graph logic.
 */
import { onnx } from 'onnx-proto';
import { INTERESTING } from './mutate';

const HOSTILE_STRINGS = [
  '',
  'Resize',
  'Upsample',
  'Constant',
  'ConstantOfShape',
  'Cast',
  'If',
  'Loop',
  'Scan',
  'TopK',
  'Shape',
  'Size',
  'NonMaxSuppression',
  'value',
  'value_float',
  'value_floats',
  'to',
  'scales',
  'roi',
  'input0',
  'loc',
  'conf',
  'landms',
  '__proto__',
  'x'.repeat(4096),
];
const DATA_TYPES = [0, 1, 2, 6, 7, 9, 10, 11, 16, 17, 1000, -1];

class Choices {
  private at = 0;
  constructor(private readonly bytes: Uint8Array) {}
  get done(): boolean {
    return this.at >= this.bytes.length;
  }
  byte(): number {
    return this.at < this.bytes.length ? this.bytes[this.at++]! : 0;
  }
  u32(): number {
    return (this.byte() | (this.byte() << 8) | (this.byte() << 16) | (this.byte() << 24)) >>> 0;
  }
  pick<T>(list: readonly T[]): T {
    return list[this.u32() % list.length]!;
  }
}

interface Slot {
  owner: Record<string, unknown> | unknown[];
  key: string | number;
  value: unknown;
}

/** Every field of the model (not the elements of numeric arrays, which would only dilute the choice). */
function slots(root: unknown): Slot[] {
  const out: Slot[] = [];
  const visit = (owner: Record<string, unknown> | unknown[], key: string | number, value: unknown, depth: number) => {
    out.push({ owner, key, value });
    if (depth > 12 || value === null || typeof value !== 'object' || value instanceof Uint8Array) return;
    if (Array.isArray(value)) {
      if (value.length && typeof value[0] !== 'object') return;
      value.forEach((v, i) => visit(value, i, v, depth + 1));
      return;
    }
    if ('low' in value && 'high' in value) return; // a Long
    for (const [k, v] of Object.entries(value)) visit(value as Record<string, unknown>, k, v, depth + 1);
  };
  const model = root as Record<string, unknown>;
  for (const [k, v] of Object.entries(model)) visit(model, k, v, 0);
  return out;
}

function strings(all: Slot[]): string[] {
  return [...new Set(all.filter((s) => typeof s.value === 'string').map((s) => s.value as string))];
}

/** Decodes `base`, applies the choices in `script`, and encodes the result (undefined if it no longer encodes). */
export function mutateOnnx(base: Uint8Array, script: Uint8Array): Uint8Array | undefined {
  const model = onnx.ModelProto.decode(base);
  const choices = new Choices(script);
  const pool = [...HOSTILE_STRINGS, ...strings(slots(model)).slice(0, 512)];
  for (let step = 0; step < 8 && !choices.done; step++) {
    const all = slots(model);
    const slot = all[choices.u32() % all.length]!;
    const set = (value: unknown) => ((slot.owner as Record<string | number, unknown>)[slot.key] = value);
    const v = slot.value;
    const action = choices.byte() % 4;
    if (typeof v === 'string') set(choices.pick(pool));
    else if (typeof v === 'number' || (v && typeof v === 'object' && 'low' in v)) {
      set(action === 0 ? choices.pick(DATA_TYPES) : choices.pick(INTERESTING));
    } else if (v instanceof Uint8Array) {
      set(action === 0 ? new Uint8Array(0) : v.subarray(0, choices.u32() % (v.length + 1)));
    } else if (Array.isArray(v)) {
      if (action === 0 || v.length === 0) set([]);
      else if (action === 1) v.splice(choices.u32() % v.length, 1);
      else if (action === 2) v.push(v[choices.u32() % v.length]);
      else v.reverse();
    } else if (v && typeof v === 'object' && !Array.isArray(slot.owner)) {
      delete (slot.owner as Record<string, unknown>)[slot.key as string];
    }
  }
  try {
    return onnx.ModelProto.encode(model).finish();
  } catch {
    return undefined;
  }
}
