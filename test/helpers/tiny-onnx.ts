/**
 * Hand-encodes tiny ONNX models (protobuf wire format) so tests can feed the loader graphs that are valid ONNX but
 * not RetinaFace. Only the few ModelProto fields an Identity graph needs are written.
 */
function varint(value: number): number[] {
  const out: number[] = [];
  while (value > 0x7f) {
    out.push((value & 0x7f) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
  return out;
}
const field = (num: number, wire: number) => varint((num << 3) | wire);
const intField = (num: number, value: number) => [...field(num, 0), ...varint(value)];
const bytesField = (num: number, bytes: number[]) => [...field(num, 2), ...varint(bytes.length), ...bytes];
const stringField = (num: number, s: string) => bytesField(num, [...Buffer.from(s, 'utf8')]);

/** ValueInfoProto of a float tensor; a string dimension is symbolic. */
function valueInfo(name: string, shape: (number | string)[]): number[] {
  const dims = shape.flatMap((d) => bytesField(1, typeof d === 'number' ? intField(1, d) : stringField(2, d)));
  const tensorType = [...intField(1, 1 /* FLOAT */), ...bytesField(2, dims)];
  return [...stringField(1, name), ...bytesField(2, bytesField(1, tensorType))];
}

/** A model whose outputs are Identity copies of its single input. */
export function identityModel(inputShape: (number | string)[], outputCount = 1): Buffer {
  const nodes: number[] = [];
  const outputs: number[] = [];
  for (let i = 0; i < outputCount; i++) {
    nodes.push(...bytesField(1, [...stringField(1, 'x'), ...stringField(2, `y${i}`), ...stringField(4, 'Identity')]));
    outputs.push(...bytesField(12, valueInfo(`y${i}`, inputShape)));
  }
  const graph = [
    ...nodes,
    ...stringField(2, 'not-retinaface'),
    ...bytesField(11, valueInfo('x', inputShape)),
    ...outputs,
  ];
  const model = [
    ...intField(1, 7 /* IR version */),
    ...bytesField(7, graph),
    ...bytesField(8, intField(2, 13) /* opset */),
  ];
  return Buffer.from(model);
}

/** INT64 TensorProto initializer (1-D). */
function int64Initializer(name: string, values: number[]): number[] {
  return [
    ...intField(1, values.length), // dims
    ...intField(2, 7 /* INT64 */),
    ...bytesField(
      7,
      values.flatMap((v) => varint(v)),
    ), // packed int64_data (non-negative values only)
    ...stringField(8, name),
  ];
}

/**
 * Looks like RetinaFace from the outside (one [1, 3, h, w] input; outputs [1, n, 4], [1, n, 2], [1, n, 10]) but
 * emits `priors` rows per head, whatever the input size: outputs = Reshape(Slice-free copies of the input).
 * The input must hold exactly 4 * loc, 2 * conf and 10 * landms floats, so choose h * w * 3 accordingly.
 */
export function lookalikeModel(inputShape: [number, number, number, number], rows: [number, number, number]): Buffer {
  const heads: [string, number, number][] = [
    ['loc', rows[0], 4],
    ['conf', rows[1], 2],
    ['landms', rows[2], 10],
  ];
  const nodes: number[] = [];
  const inits: number[] = [];
  const outputs: number[] = [];
  for (const [name, n, last] of heads) {
    inits.push(...bytesField(5, int64Initializer(`${name}_shape`, [1, n, last])));
    nodes.push(
      ...bytesField(1, [
        ...stringField(1, 'x'),
        ...stringField(1, `${name}_shape`),
        ...stringField(2, name),
        ...stringField(4, 'Reshape'),
      ]),
    );
    outputs.push(...bytesField(12, valueInfo(name, [1, n, last])));
  }
  const graph = [
    ...nodes,
    ...stringField(2, 'lookalike'),
    ...inits,
    ...bytesField(11, valueInfo('x', inputShape)),
    ...outputs,
  ];
  const model = [...intField(1, 7), ...bytesField(7, graph), ...bytesField(8, intField(2, 13))];
  return Buffer.from(model);
}
