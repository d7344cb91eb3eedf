/**
 * A reader for MATLAB Level 5 (v5 / v6 / v7) .mat files: enough for the WIDER FACE ground truth and similar data.
 *
 * Supported: both byte orders, miCOMPRESSED (zlib) elements, numeric arrays of every class (values become doubles;
 * logical arrays are numeric with `logical: true`), char arrays, cell arrays and structs. Not supported, with an
 * error that says so: v7.3 files (HDF5), sparse arrays, complex numbers, objects and function handles.
 *
 * Layout: the MAT-File Format reference (MathWorks): a 128-byte header, then tagged data elements.
 */
import fs from 'node:fs';
import zlib from 'node:zlib';

export type MatNumericClass =
  'double' | 'single' | 'int8' | 'uint8' | 'int16' | 'uint16' | 'int32' | 'uint32' | 'int64' | 'uint64';

/** A numeric (or logical) array. `data` is in MATLAB's column-major order: element (i, j) is data[i + j * dims[0]]. */
export interface MatNumeric {
  type: 'numeric';
  class: MatNumericClass;
  logical: boolean;
  dims: number[];
  data: Float64Array;
}

/** A char array: one string per row (a 1xN char array is one string). */
export interface MatChar {
  type: 'char';
  dims: number[];
  rows: string[];
}

/** A cell array; `cells` is column-major like numeric data. */
export interface MatCell {
  type: 'cell';
  dims: number[];
  cells: MatValue[];
}

/** A struct array: for each field, one value per struct element (column-major). */
export interface MatStruct {
  type: 'struct';
  dims: number[];
  fields: Record<string, MatValue[]>;
}

export type MatValue = MatNumeric | MatChar | MatCell | MatStruct;

/** Thrown for anything that is not a readable Level 5 .mat file; the message names the problem. */
export class MatFileError extends Error {
  override readonly name = 'MatFileError';
}

// Data types of tagged elements (the "mi" types).
const MI = {
  INT8: 1,
  UINT8: 2,
  INT16: 3,
  UINT16: 4,
  INT32: 5,
  UINT32: 6,
  SINGLE: 7,
  DOUBLE: 9,
  INT64: 12,
  UINT64: 13,
  MATRIX: 14,
  COMPRESSED: 15,
  UTF8: 16,
  UTF16: 17,
  UTF32: 18,
} as const;

const NUMERIC_MI_SIZE: Record<number, number> = {
  [MI.INT8]: 1,
  [MI.UINT8]: 1,
  [MI.INT16]: 2,
  [MI.UINT16]: 2,
  [MI.INT32]: 4,
  [MI.UINT32]: 4,
  [MI.SINGLE]: 4,
  [MI.DOUBLE]: 8,
  [MI.INT64]: 8,
  [MI.UINT64]: 8,
};

// Array classes (the "mx" classes) in the array-flags subelement.
const MX_CELL = 1,
  MX_STRUCT = 2,
  MX_OBJECT = 3,
  MX_CHAR = 4,
  MX_SPARSE = 5;
const MX_NUMERIC: Record<number, MatNumericClass> = {
  6: 'double',
  7: 'single',
  8: 'int8',
  9: 'uint8',
  10: 'int16',
  11: 'uint16',
  12: 'int32',
  13: 'uint32',
  14: 'int64',
  15: 'uint64',
};
const FLAG_COMPLEX = 0x08,
  FLAG_LOGICAL = 0x02;

/**
 * Bounds on what one file may make us build. The WIDER ground truth nests 3 deep, holds some 20k values and inflates
 * to under 1 MB per compressed element; a hostile file could otherwise recurse until the call stack overflows,
 * inflate a zip bomb, or turn every 8 bytes into an object.
 */
export const MAT_LIMITS = {
  /** Cells and structs inside cells and structs. */
  depth: 32,
  /** Arrays (of any class) in the whole file. */
  values: 1 << 20,
  /** Bytes one compressed element may inflate to. */
  inflatedBytes: 64 << 20,
};

/** What parsing has used so far, against MAT_LIMITS. */
interface Budget {
  values: number;
}

interface Element {
  type: number;
  /** The element's data bytes (without tag or padding). */
  data: Buffer;
  /** Offset just past the element, padding included. */
  next: number;
}

/** Reads tagged elements with the file's byte order. */
class ElementReader {
  constructor(private readonly little: boolean) {}

  u16(b: Buffer, at: number): number {
    return this.little ? b.readUInt16LE(at) : b.readUInt16BE(at);
  }

  u32(b: Buffer, at: number): number {
    return this.little ? b.readUInt32LE(at) : b.readUInt32BE(at);
  }

  i32(b: Buffer, at: number): number {
    return this.little ? b.readInt32LE(at) : b.readInt32BE(at);
  }

  /** The element starting at `offset` of `buffer`. `topLevel` elements of type miCOMPRESSED are not padded. */
  element(buffer: Buffer, offset: number): Element {
    if (offset + 8 > buffer.length) throw new MatFileError(`truncated data element tag at byte ${offset}`);
    const first = this.u32(buffer, offset);
    // Small data element format: type and size share the first 4 bytes; up to 4 data bytes follow.
    if (first >>> 16 !== 0) {
      const size = first >>> 16;
      if (size > 4) throw new MatFileError(`malformed small data element at byte ${offset}`);
      return { type: first & 0xffff, data: buffer.subarray(offset + 4, offset + 4 + size), next: offset + 8 };
    }
    const size = this.u32(buffer, offset + 4);
    const start = offset + 8;
    if (start + size > buffer.length) {
      throw new MatFileError(
        `data element at byte ${offset} claims ${size} bytes; only ${buffer.length - start} remain`,
      );
    }
    const padded = first === MI.COMPRESSED ? size : Math.ceil(size / 8) * 8;
    return { type: first, data: buffer.subarray(start, start + size), next: Math.min(buffer.length, start + padded) };
  }

  /** All numbers of a numeric element, as doubles (64-bit integers beyond 2^53 lose precision). */
  numbers(el: Element): Float64Array {
    const size = NUMERIC_MI_SIZE[el.type];
    if (size === undefined) throw new MatFileError(`expected numeric data, found data type ${el.type}`);
    if (el.data.length % size !== 0)
      throw new MatFileError(`numeric data of ${el.data.length} bytes is not a multiple of ${size}`);
    const n = el.data.length / size;
    const out = new Float64Array(n);
    const b = el.data;
    const L = this.little;
    for (let i = 0, at = 0; i < n; i++, at += size) {
      switch (el.type) {
        case MI.INT8:
          out[i] = b.readInt8(at);
          break;
        case MI.UINT8:
          out[i] = b[at]!;
          break;
        case MI.INT16:
          out[i] = L ? b.readInt16LE(at) : b.readInt16BE(at);
          break;
        case MI.UINT16:
          out[i] = L ? b.readUInt16LE(at) : b.readUInt16BE(at);
          break;
        case MI.INT32:
          out[i] = L ? b.readInt32LE(at) : b.readInt32BE(at);
          break;
        case MI.UINT32:
          out[i] = L ? b.readUInt32LE(at) : b.readUInt32BE(at);
          break;
        case MI.SINGLE:
          out[i] = L ? b.readFloatLE(at) : b.readFloatBE(at);
          break;
        case MI.DOUBLE:
          out[i] = L ? b.readDoubleLE(at) : b.readDoubleBE(at);
          break;
        case MI.INT64:
          out[i] = Number(L ? b.readBigInt64LE(at) : b.readBigInt64BE(at));
          break;
        case MI.UINT64:
          out[i] = Number(L ? b.readBigUInt64LE(at) : b.readBigUInt64BE(at));
          break;
      }
    }
    return out;
  }

  /** Character codes of a char array's data element (UTF-8 is decoded to UTF-16 code units). */
  charCodes(el: Element): number[] {
    switch (el.type) {
      case MI.UTF8: {
        const text = el.data.toString('utf8');
        return Array.from({ length: text.length }, (_, i) => text.charCodeAt(i));
      }
      case MI.UTF16:
      case MI.UINT16:
      case MI.INT16:
      case MI.UINT8:
      case MI.INT8:
        return Array.from(this.numbers({ ...el, type: el.type === MI.UTF16 ? MI.UINT16 : el.type }));
      case MI.UTF32:
      case MI.UINT32:
      case MI.INT32:
        return Array.from(this.numbers({ ...el, type: el.type === MI.UTF32 ? MI.UINT32 : el.type }));
      default:
        throw new MatFileError(`unsupported character data type ${el.type}`);
    }
  }
}

/** Parses the miMATRIX payload `data` into a value and its name; `depth` counts the cells/structs around it. */
function parseMatrix(r: ElementReader, data: Buffer, budget: Budget, depth = 0): { name: string; value: MatValue } {
  if (depth > MAT_LIMITS.depth) throw new MatFileError(`arrays nested more than ${MAT_LIMITS.depth} deep`);
  if (++budget.values > MAT_LIMITS.values) throw new MatFileError(`more than ${MAT_LIMITS.values} arrays`);
  if (data.length === 0) {
    // An empty miMATRIX (a cell's [] placeholder) is a 0x0 double.
    return {
      name: '',
      value: { type: 'numeric', class: 'double', logical: false, dims: [0, 0], data: new Float64Array(0) },
    };
  }
  const flagsEl = r.element(data, 0);
  if (flagsEl.type !== MI.UINT32 || flagsEl.data.length < 8) throw new MatFileError('array flags subelement missing');
  const flags = r.u32(flagsEl.data, 0);
  const mxClass = flags & 0xff;
  const flagBits = (flags >>> 8) & 0xff;
  const dimsEl = r.element(data, flagsEl.next);
  if (dimsEl.type !== MI.INT32) throw new MatFileError('dimensions subelement missing');
  const dims = Array.from(r.numbers(dimsEl));
  const nameEl = r.element(data, dimsEl.next);
  if (nameEl.type !== MI.INT8 && nameEl.type !== MI.UINT8) throw new MatFileError('array name subelement missing');
  const name = nameEl.data.toString('latin1');
  if (dims.some((d) => d < 0)) throw new MatFileError(`'${name}' has negative dimensions ${dims.join('x')}`);
  const count = dims.reduce((a, b) => a * b, 1);
  let at = nameEl.next;

  if (mxClass === MX_CELL) {
    const cells: MatValue[] = [];
    for (let i = 0; i < count; i++) {
      const el = r.element(data, at);
      if (el.type !== MI.MATRIX) throw new MatFileError(`cell ${i} of '${name}' is not a matrix element`);
      cells.push(parseMatrix(r, el.data, budget, depth + 1).value);
      at = el.next;
    }
    return { name, value: { type: 'cell', dims, cells } };
  }

  if (mxClass === MX_STRUCT) {
    const lengthEl = r.element(data, at);
    if (lengthEl.data.length < 4) throw new MatFileError(`struct '${name}' has no field name length`);
    const fieldLength = r.i32(lengthEl.data, 0);
    const namesEl = r.element(data, lengthEl.next);
    at = namesEl.next;
    const fieldNames: string[] = [];
    for (let off = 0; fieldLength > 0 && off + fieldLength <= namesEl.data.length; off += fieldLength) {
      fieldNames.push(
        namesEl.data
          .subarray(off, off + fieldLength)
          .toString('latin1')
          .replace(/\0.*$/s, ''),
      );
    }
    const fields: Record<string, MatValue[]> = Object.fromEntries(fieldNames.map((f) => [f, [] as MatValue[]]));
    // Without fields there is nothing to read per element (and dimensions of 2^31 x 2^31 would loop for ever).
    for (let i = 0; fieldNames.length > 0 && i < count; i++) {
      for (const field of fieldNames) {
        const el = r.element(data, at);
        if (el.type !== MI.MATRIX) throw new MatFileError(`field '${field}' of '${name}' is not a matrix element`);
        fields[field]!.push(parseMatrix(r, el.data, budget, depth + 1).value);
        at = el.next;
      }
    }
    return { name, value: { type: 'struct', dims, fields } };
  }

  if (mxClass === MX_CHAR) {
    const codes = count === 0 ? [] : r.charCodes(r.element(data, at));
    // Checked before building rows: dimensions of 2^31 rows over a few bytes of text would loop for billions of rows.
    if (codes.length !== count)
      throw new MatFileError(`char array '${name}' has ${codes.length} characters for dimensions ${dims.join('x')}`);
    const rowsCount = dims[0] ?? 0;
    // Nx0 is N empty rows: each counts against the budget (N could be 2^31).
    if (count === 0 && (budget.values += rowsCount) > MAT_LIMITS.values)
      throw new MatFileError(`more than ${MAT_LIMITS.values} arrays`);
    const cols = rowsCount === 0 ? 0 : codes.length / rowsCount;
    const rows: string[] = [];
    for (let i = 0; i < rowsCount; i++) {
      let s = '';
      for (let j = 0; j < cols; j++) s += String.fromCharCode(codes[i + j * rowsCount]!);
      rows.push(s);
    }
    return { name, value: { type: 'char', dims, rows } };
  }

  const numericClass = MX_NUMERIC[mxClass];
  if (numericClass) {
    if (flagBits & FLAG_COMPLEX) throw new MatFileError(`'${name}' is complex; complex arrays are not supported`);
    const values = count === 0 ? new Float64Array(0) : r.numbers(r.element(data, at));
    if (values.length !== count)
      throw new MatFileError(`'${name}' has ${values.length} values for dimensions ${dims.join('x')}`);
    return {
      name,
      value: { type: 'numeric', class: numericClass, logical: (flagBits & FLAG_LOGICAL) !== 0, dims, data: values },
    };
  }

  const what =
    mxClass === MX_SPARSE ? 'a sparse array' : mxClass === MX_OBJECT ? 'an object' : `of array class ${mxClass}`;
  throw new MatFileError(`'${name}' is ${what}, which this reader does not support`);
}

/** Parses a .mat file's bytes into its named variables. Anything malformed is a MatFileError. */
export function parseMat(bytes: Buffer): Map<string, MatValue> {
  try {
    return parseVariables(bytes);
  } catch (error) {
    if (error instanceof MatFileError) throw error;
    // A read past a subelement that no check above foresaw (Buffer's RangeError): still just a malformed file.
    throw new MatFileError(`malformed MAT-file (${(error as Error).message})`, { cause: error });
  }
}

function parseVariables(bytes: Buffer): Map<string, MatValue> {
  if (bytes.length < 128)
    throw new MatFileError(`${bytes.length} bytes is too short for a MAT-file header (128 bytes)`);
  const text = bytes.subarray(0, 116).toString('latin1');
  const endian = bytes.subarray(126, 128).toString('latin1');
  if (text.startsWith('MATLAB 7.3')) throw new MatFileError('v7.3 MAT-files (HDF5) are not supported; save with -v7');
  if (!text.startsWith('MATLAB') || (endian !== 'IM' && endian !== 'MI')) {
    throw new MatFileError('not a MATLAB Level 5 MAT-file (bad header)');
  }
  // The writer stored the characters 'M','I' as a 16-bit value: reading 'IM' means little-endian.
  const r = new ElementReader(endian === 'IM');
  const variables = new Map<string, MatValue>();
  const budget: Budget = { values: 0 };
  let offset = 128;
  while (offset + 8 <= bytes.length) {
    const el = r.element(bytes, offset);
    offset = el.next;
    let matrix: Element = el;
    if (el.type === MI.COMPRESSED) {
      let inflated: Buffer;
      try {
        inflated = zlib.inflateSync(el.data, { maxOutputLength: MAT_LIMITS.inflatedBytes });
      } catch (error) {
        throw new MatFileError(`a compressed element does not inflate: ${(error as Error).message}`);
      }
      matrix = r.element(inflated, 0);
    }
    if (matrix.type !== MI.MATRIX) continue; // nothing else is valid at top level; skip rather than fail
    const { name, value } = parseMatrix(r, matrix.data, budget);
    variables.set(name, value);
  }
  return variables;
}

/** Reads and parses a .mat file. */
export function readMatFile(file: string): Map<string, MatValue> {
  return parseMat(fs.readFileSync(file));
}

/** The single string of a char array (rows joined by newlines for multi-row arrays). */
export function matString(value: MatValue | undefined): string {
  if (value?.type !== 'char') throw new MatFileError(`expected a char array, found ${value ? value.type : 'nothing'}`);
  return value.rows.join('\n');
}
