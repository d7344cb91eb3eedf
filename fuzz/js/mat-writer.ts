/**
 * A tiny MATLAB Level 5 writer for fuzz seeds: numeric (double), char, cell and struct arrays, plain or miCOMPRESSED,
 * little-endian. Enough to make the WIDER ground-truth layout in a few hundred bytes.
 */
import zlib from 'node:zlib';

export type MatSeedValue =
  | { type: 'double'; dims: number[]; data: number[] }
  | { type: 'char'; text: string }
  | { type: 'cell'; dims: number[]; cells: MatSeedValue[] }
  | { type: 'struct'; fields: Record<string, MatSeedValue> };

const MI_INT8 = 1,
  MI_INT32 = 5,
  MI_UINT16 = 4,
  MI_UINT32 = 6,
  MI_DOUBLE = 9,
  MI_MATRIX = 14,
  MI_COMPRESSED = 15;
const MX_CELL = 1,
  MX_STRUCT = 2,
  MX_CHAR = 4,
  MX_DOUBLE = 6;

function element(type: number, data: Buffer, pad = true): Buffer {
  const tag = Buffer.alloc(8);
  tag.writeUInt32LE(type, 0);
  tag.writeUInt32LE(data.length, 4);
  const padding = pad ? Buffer.alloc((8 - (data.length % 8)) % 8) : Buffer.alloc(0);
  return Buffer.concat([tag, data, padding]);
}

function int32s(values: number[]): Buffer {
  const b = Buffer.alloc(values.length * 4);
  values.forEach((v, i) => b.writeInt32LE(v, i * 4));
  return b;
}

function matrix(name: string, value: MatSeedValue): Buffer {
  const header = (mxClass: number, dims: number[]) => {
    const flags = Buffer.alloc(8);
    flags.writeUInt32LE(mxClass, 0);
    return [element(MI_UINT32, flags), element(MI_INT32, int32s(dims)), element(MI_INT8, Buffer.from(name, 'latin1'))];
  };
  switch (value.type) {
    case 'double': {
      const data = Buffer.alloc(value.data.length * 8);
      value.data.forEach((v, i) => data.writeDoubleLE(v, i * 8));
      return element(MI_MATRIX, Buffer.concat([...header(MX_DOUBLE, value.dims), element(MI_DOUBLE, data)]));
    }
    case 'char': {
      const codes = Buffer.alloc(value.text.length * 2);
      for (let i = 0; i < value.text.length; i++) codes.writeUInt16LE(value.text.charCodeAt(i), i * 2);
      return element(MI_MATRIX, Buffer.concat([...header(MX_CHAR, [1, value.text.length]), element(MI_UINT16, codes)]));
    }
    case 'cell':
      return element(
        MI_MATRIX,
        Buffer.concat([...header(MX_CELL, value.dims), ...value.cells.map((c) => matrix('', c))]),
      );
    case 'struct': {
      const names = Object.keys(value.fields);
      const width = Math.max(...names.map((n) => n.length)) + 1;
      const nameBytes = Buffer.alloc(width * names.length);
      names.forEach((n, i) => nameBytes.write(n, i * width, 'latin1'));
      return element(
        MI_MATRIX,
        Buffer.concat([
          ...header(MX_STRUCT, [1, 1]),
          element(MI_INT32, int32s([width])),
          element(MI_INT8, nameBytes),
          ...names.map((n) => matrix('', value.fields[n]!)),
        ]),
      );
    }
  }
}

export function writeMat(variables: Record<string, MatSeedValue>, compress = false): Buffer {
  const header = Buffer.alloc(128, 0x20);
  header.write('MATLAB 5.0 MAT-file, written by retinaface-trt fuzz seeds', 0, 'latin1');
  header.writeUInt16LE(0x0100, 124);
  header.write('IM', 126, 'latin1');
  const body = Object.entries(variables).map(([name, value]) => {
    const m = matrix(name, value);
    return compress ? element(MI_COMPRESSED, zlib.deflateSync(m), false) : m;
  });
  return Buffer.concat([header, ...body]);
}

/** Rewrites a file's miCOMPRESSED elements as plain ones, so byte mutations reach the structure. */
export function inflateMat(bytes: Buffer): Buffer {
  const parts = [bytes.subarray(0, 128)];
  let offset = 128;
  while (offset + 8 <= bytes.length) {
    const type = bytes.readUInt32LE(offset);
    const size = bytes.readUInt32LE(offset + 4);
    const data = bytes.subarray(offset + 8, offset + 8 + size);
    parts.push(type === MI_COMPRESSED ? zlib.inflateSync(data) : element(type, data));
    offset += 8 + (type === MI_COMPRESSED ? size : Math.ceil(size / 8) * 8);
  }
  return Buffer.concat(parts);
}

const cell = (cells: MatSeedValue[]): MatSeedValue => ({ type: 'cell', dims: [cells.length, 1], cells });
const column = (values: number[]): MatSeedValue => ({ type: 'double', dims: [values.length, 1], data: values });

/** The four WIDER ground-truth files for two events of one and two images. */
export function tinyWiderGroundTruth(compress = false): Record<string, Buffer> {
  const boxes = (rows: number[][]): MatSeedValue => ({
    type: 'double',
    dims: [rows.length, 4],
    data: [0, 1, 2, 3].flatMap((j) => rows.map((r) => r[j]!)),
  });
  const face = writeMat(
    {
      event_list: cell([
        { type: 'char', text: '0--Parade' },
        { type: 'char', text: '1--Handshaking' },
      ]),
      file_list: cell([
        cell([{ type: 'char', text: '0_Parade_1' }]),
        cell([
          { type: 'char', text: '1_H_1' },
          { type: 'char', text: '1_H_2' },
        ]),
      ]),
      face_bbx_list: cell([
        cell([
          boxes([
            [10, 20, 30, 40],
            [50, 60, 7, 8],
          ]),
        ]),
        cell([boxes([[1, 2, 3, 4]]), boxes([])]),
      ]),
      blur_label_list: cell([cell([column([0, 2])]), cell([column([1]), column([])])]),
    },
    compress,
  );
  const setting = (keep: number[][]) =>
    writeMat({ gt_list: cell([cell([column(keep[0]!)]), cell([column(keep[1]!), column(keep[2]!)])]) }, compress);
  return {
    'wider_face_val.mat': face,
    'wider_easy_val.mat': setting([[1], [1], []]),
    'wider_medium_val.mat': setting([[1, 2], [1], []]),
    'wider_hard_val.mat': setting([[1, 2], [1], []]),
  };
}
