/**
 * Byte-level mutations of seed files as a fast-check arbitrary, in the manner of libFuzzer's mutators: bit flips,
 * interesting integers, truncation, insertion and deletion, block copies, dictionary tokens and splices of two seeds.
 * A recipe (seed index + operations) is what fast-check generates, so any input replays from its seed and run index.
 */
import fc from 'fast-check';

export type Region = 'any' | 'head' | 'tail';

export type Mutation =
  | { kind: 'flip'; region: Region; at: number; bit: number }
  | { kind: 'byte'; region: Region; at: number; value: number }
  | { kind: 'int'; region: Region; at: number; value: number; width: 1 | 2 | 4 | 8; little: boolean }
  | { kind: 'truncate'; at: number }
  | { kind: 'insert'; region: Region; at: number; bytes: Uint8Array }
  | { kind: 'delete'; region: Region; at: number; length: number }
  | { kind: 'copy'; region: Region; from: number; to: number; length: number }
  | { kind: 'token'; region: Region; at: number; token: number; overwrite: boolean }
  | { kind: 'splice'; other: number; at: number; from: number };

export interface Recipe {
  seed: number;
  mutations: Mutation[];
}

/** Sizes and counts that break parsers: zero, one, signs, powers of two and their neighbours. */
export const INTERESTING = [
  0,
  1,
  2,
  3,
  4,
  7,
  8,
  15,
  16,
  31,
  32,
  63,
  64,
  127,
  128,
  255,
  256,
  1023,
  1024,
  4095,
  4096,
  65535,
  65536,
  0x7fff,
  0x8000,
  0xffff,
  0x10000,
  0x7fffffff,
  0x80000000,
  0xffffffff,
  -1,
  -2,
  -128,
  -32768,
  -0x80000000,
  2 ** 53 - 1,
  2 ** 31 + 1,
];

/** How far into the file "head" and "tail" mutations reach: where headers, pickles and directories live. */
const FOCUS_BYTES = 64 << 10;

function position(length: number, region: Region, at: number): number {
  if (length === 0) return 0;
  const span = region === 'any' ? length : Math.min(length, FOCUS_BYTES);
  const offset = at % span;
  return region === 'tail' ? length - span + offset : offset;
}

function writeInt(bytes: Uint8Array, at: number, value: number, width: number, little: boolean): void {
  let v = BigInt.asUintN(64, BigInt(Math.trunc(value)));
  for (let i = 0; i < width && at + (little ? i : width - 1 - i) < bytes.length; i++) {
    bytes[at + (little ? i : width - 1 - i)] = Number(v & 0xffn);
    v >>= 8n;
  }
}

/** Applies a recipe to copies of the seeds; the seeds themselves are never modified. */
export function applyRecipe(seeds: readonly Uint8Array[], tokens: readonly Uint8Array[], recipe: Recipe): Uint8Array {
  let bytes: Uint8Array = Uint8Array.from(seeds[recipe.seed % seeds.length]!);
  for (const m of recipe.mutations) {
    switch (m.kind) {
      case 'flip': {
        if (bytes.length) bytes[position(bytes.length, m.region, m.at)]! ^= 1 << m.bit;
        break;
      }
      case 'byte': {
        if (bytes.length) bytes[position(bytes.length, m.region, m.at)] = m.value;
        break;
      }
      case 'int': {
        if (bytes.length) writeInt(bytes, position(bytes.length, m.region, m.at), m.value, m.width, m.little);
        break;
      }
      case 'truncate': {
        bytes = bytes.subarray(0, bytes.length ? m.at % (bytes.length + 1) : 0);
        break;
      }
      case 'insert': {
        const at = position(bytes.length, m.region, m.at);
        bytes = concat(bytes.subarray(0, at), m.bytes, bytes.subarray(at));
        break;
      }
      case 'delete': {
        const at = position(bytes.length, m.region, m.at);
        bytes = concat(bytes.subarray(0, at), bytes.subarray(at + m.length));
        break;
      }
      case 'copy': {
        if (!bytes.length) break;
        const from = position(bytes.length, m.region, m.from);
        const to = position(bytes.length, m.region, m.to);
        const chunk = bytes.slice(from, from + m.length);
        bytes = concat(bytes.subarray(0, to), chunk, bytes.subarray(to));
        break;
      }
      case 'token': {
        if (!tokens.length) break;
        const token = tokens[m.token % tokens.length]!;
        const at = position(bytes.length, m.region, m.at);
        bytes = m.overwrite
          ? concat(bytes.subarray(0, at), token, bytes.subarray(at + token.length))
          : concat(bytes.subarray(0, at), token, bytes.subarray(at));
        break;
      }
      case 'splice': {
        const other = seeds[m.other % seeds.length]!;
        const at = bytes.length ? m.at % bytes.length : 0;
        const from = other.length ? m.from % other.length : 0;
        bytes = concat(bytes.subarray(0, at), other.subarray(from));
        break;
      }
    }
  }
  return bytes;
}

function concat(...parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
}

const region = fc.constantFrom<Region>('any', 'head', 'head', 'tail');
const at = fc.nat();

export const mutationArbitrary: fc.Arbitrary<Mutation> = fc.oneof(
  fc.record({ kind: fc.constant('flip' as const), region, at, bit: fc.nat(7) }),
  fc.record({
    kind: fc.constant('byte' as const),
    region,
    at,
    value: fc.oneof(fc.constantFrom(0, 1, 0x7f, 0x80, 0xff), fc.nat(255)),
  }),
  fc.record({
    kind: fc.constant('int' as const),
    region,
    at,
    value: fc.oneof(fc.constantFrom(...INTERESTING), fc.integer()),
    width: fc.constantFrom<1 | 2 | 4 | 8>(1, 2, 4, 8),
    little: fc.boolean(),
  }),
  fc.record({ kind: fc.constant('truncate' as const), at }),
  fc.record({ kind: fc.constant('insert' as const), region, at, bytes: fc.uint8Array({ maxLength: 32 }) }),
  fc.record({ kind: fc.constant('delete' as const), region, at, length: fc.integer({ min: 1, max: 256 }) }),
  fc.record({ kind: fc.constant('copy' as const), region, from: at, to: at, length: fc.integer({ min: 1, max: 512 }) }),
  fc.record({ kind: fc.constant('token' as const), region, at, token: fc.nat(), overwrite: fc.boolean() }),
  fc.record({ kind: fc.constant('splice' as const), other: fc.nat(), at, from: at }),
);

export function recipeArbitrary(seedCount: number, maxMutations = 6): fc.Arbitrary<Recipe> {
  return fc.record({
    seed: fc.nat(Math.max(0, seedCount - 1)),
    mutations: fc.array(mutationArbitrary, { minLength: 0, maxLength: maxMutations }),
  });
}
