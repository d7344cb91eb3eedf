// The .mat reader against hostile files (issue 15): deep nesting, a zip bomb, huge char dimensions and millions of
// tiny arrays are MatFileErrors (GROUND_TRUTH_INVALID through eval), never a stack overflow, a hang or gigabytes.
import zlib from 'node:zlib';
import t, { type Test } from 'tap';
import { MAT_LIMITS, MatFileError, parseMat } from '../lib/eval/matfile';

/** Little-endian Level 5 pieces, written straight into buffers (no nested concatenation: files nest 100k deep). */
function tag(type: number, size: number): Buffer {
  const b = Buffer.alloc(8);
  b.writeUInt32LE(type, 0);
  b.writeUInt32LE(size, 4);
  return b;
}

const MI_INT32 = 5,
  MI_UINT32 = 6,
  MI_MATRIX = 14,
  MI_COMPRESSED = 15,
  MI_UINT16 = 4;
const MX_CELL = 1,
  MX_CHAR = 4;

/** Array flags, dimensions and an empty name: the 40 bytes that open every miMATRIX payload. */
function matrixHead(mxClass: number, dims: [number, number]): Buffer {
  const flags = Buffer.concat([tag(MI_UINT32, 8), Buffer.alloc(8)]);
  flags.writeUInt32LE(mxClass, 8);
  const dimsEl = Buffer.concat([tag(MI_INT32, 8), Buffer.alloc(8)]);
  dimsEl.writeInt32LE(dims[0], 8);
  dimsEl.writeInt32LE(dims[1], 12);
  const name = Buffer.alloc(8);
  name.writeUInt32LE(1, 0); // small element: miINT8, 0 bytes
  return Buffer.concat([flags, dimsEl, name]);
}

function file(body: Buffer): Buffer {
  const header = Buffer.alloc(128, ' ');
  header.write('MATLAB 5.0 MAT-file, hostile test', 0, 'latin1');
  header.fill(0, 116, 124);
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  return Buffer.concat([header, body]);
}

/** `levels` cells, each holding the next; the innermost holds an empty matrix. */
function nestedCells(levels: number): Buffer {
  const out = Buffer.alloc(levels * 48 + 8);
  let at = 0;
  for (let level = 0; level < levels; level++) {
    const payload = (levels - level - 1) * 48 + 8 + 40;
    tag(MI_MATRIX, payload).copy(out, at);
    matrixHead(MX_CELL, [1, 1]).copy(out, at + 8);
    at += 48;
  }
  tag(MI_MATRIX, 0).copy(out, at);
  return out;
}

function throwsMatError(t: Test, body: () => unknown, message: RegExp, what: string): void {
  let error: unknown;
  try {
    body();
  } catch (e) {
    error = e;
  }
  t.ok(
    error instanceof MatFileError,
    `${what}: a MatFileError (got ${error instanceof Error ? `${error.name}: ${error.message.slice(0, 80)}` : String(error)})`,
  );
  t.match((error as Error | undefined)?.message ?? '', message, what);
}

t.test('100k nested cells: a MatFileError, not a stack overflow', async (t) => {
  throwsMatError(t, () => parseMat(file(nestedCells(100_000))), /nested more than 32 deep/, 'deep nesting');
  const ok = parseMat(file(nestedCells(MAT_LIMITS.depth)));
  t.equal(ok.get('')?.type, 'cell', `${MAT_LIMITS.depth} levels still read`);
});

t.test('a compressed element that inflates to 128 MiB is refused at the limit', async (t) => {
  // 128 copies of one full-flushed 1 MiB block of zeros, then an empty final block: a valid raw deflate stream;
  // with the zlib header and adler32 it is what miCOMPRESSED holds (and inflates without error when unbounded).
  const block = zlib.deflateRawSync(Buffer.alloc(1 << 20), { finishFlush: zlib.constants.Z_FULL_FLUSH });
  const raw = Buffer.concat([...Array.from({ length: 128 }, () => block), zlib.deflateRawSync(Buffer.alloc(0))]);
  const adler = Buffer.alloc(4);
  adler.writeUInt32BE(((((128 << 20) % 65521) << 16) | 1) >>> 0); // adler32 of n zeros: a = 1, b = n mod 65521
  const stream = Buffer.concat([Buffer.from([0x78, 0x9c]), raw, adler]);
  t.ok(stream.length < 256 << 10, `${stream.length} bytes`);
  throwsMatError(
    t,
    () => parseMat(file(Buffer.concat([tag(MI_COMPRESSED, stream.length), stream]))),
    /does not inflate/,
    'zip bomb',
  );
});

t.test('a char array claiming 16M rows over one character is refused before building rows', async (t) => {
  const codes = Buffer.concat([tag(MI_UINT16, 2), Buffer.from([0x41, 0, 0, 0, 0, 0, 0, 0])]);
  const payload = Buffer.concat([matrixHead(MX_CHAR, [1 << 24, 1]), codes]);
  throwsMatError(
    t,
    () => parseMat(file(Buffer.concat([tag(MI_MATRIX, payload.length), payload]))),
    /1 characters for dimensions 16777216x1/,
    'char dims',
  );
});

t.test('a million empty arrays in one cell hit the array budget', async (t) => {
  const count = MAT_LIMITS.values + 8;
  const cells = Buffer.alloc(count * 8);
  for (let i = 0; i < count; i++) cells.writeUInt32LE(MI_MATRIX, i * 8); // empty miMATRIX: tag only
  const payload = Buffer.concat([matrixHead(MX_CELL, [count, 1]), cells]);
  throwsMatError(
    t,
    () => parseMat(file(Buffer.concat([tag(MI_MATRIX, payload.length), payload]))),
    /more than \d+ arrays/,
    'array budget',
  );
});

t.test('a struct without its field-name length is a MatFileError, not a RangeError', async (t) => {
  const payload = Buffer.concat([matrixHead(2, [1, 1]), tag(MI_INT32, 0)]);
  throwsMatError(
    t,
    () => parseMat(file(Buffer.concat([tag(MI_MATRIX, payload.length), payload]))),
    /no field name length/,
    'struct',
  );
});

t.test(
  'dimensions that would loop for ever over nothing: a fieldless struct, an Nx0 char array, negative sizes',
  async (t) => {
    const matrix = (payload: Buffer) => file(Buffer.concat([tag(MI_MATRIX, payload.length), payload]));
    // A struct array of 2^30 x 2^30 elements with no fields: nothing to read, so nothing to loop over.
    const noFields = Buffer.concat([
      matrixHead(2, [1 << 30, 1 << 30]),
      tag(MI_INT32, 4),
      Buffer.from([8, 0, 0, 0, 0, 0, 0, 0]),
      tag(1, 0),
    ]);
    const parsed = parseMat(matrix(noFields)).get('');
    t.same(parsed?.type === 'struct' && parsed.fields, {}, 'a fieldless struct reads at once');
    // 2^31 - 1 rows of nothing.
    throwsMatError(
      t,
      () => parseMat(matrix(matrixHead(MX_CHAR, [2 ** 31 - 1, 0]))),
      /more than \d+ arrays/,
      'Nx0 char',
    );
    const fewRows = parseMat(matrix(matrixHead(MX_CHAR, [3, 0]))).get('');
    t.same(fewRows, { type: 'char', dims: [3, 0], rows: ['', '', ''] }, 'a few empty rows still read');
    throwsMatError(
      t,
      () => parseMat(matrix(matrixHead(MX_CELL, [-2, -3]))),
      /negative dimensions -2x-3/,
      'negative dimensions',
    );
  },
);
