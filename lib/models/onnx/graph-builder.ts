/** Writes ONNX models with protobufjs and the official onnx.proto (package onnx-proto): nodes, weights, I/O. */
import { onnx } from 'onnx-proto';

export const DataType = onnx.TensorProto.DataType;
export type Dim = number | string;

/** Typed attribute values: ONNX tells ints from floats, JavaScript does not. */
export type AttributeValue = { int: number } | { float: number } | { ints: readonly number[] } | { string: string };

function toAttribute(name: string, value: AttributeValue): onnx.IAttributeProto {
  const A = onnx.AttributeProto.AttributeType;
  if ('int' in value) return { name, type: A.INT, i: value.int };
  if ('float' in value) return { name, type: A.FLOAT, f: value.float };
  if ('ints' in value) return { name, type: A.INTS, ints: [...value.ints] };
  return { name, type: A.STRING, s: Buffer.from(value.string, 'utf8') };
}

/** Little-endian bytes of a typed array (ONNX raw_data is always little-endian). */
function rawBytes(values: Float32Array | Uint16Array | BigInt64Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice();
}

export function valueInfo(name: string, elemType: number, dims: readonly Dim[]): onnx.IValueInfoProto {
  return {
    name,
    type: {
      tensorType: {
        elemType,
        shape: { dim: dims.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) },
      },
    },
  };
}

export class GraphBuilder {
  private readonly nodes: onnx.INodeProto[] = [];
  private readonly initializers: onnx.ITensorProto[] = [];
  private readonly inputs: onnx.IValueInfoProto[] = [];
  private readonly outputs: onnx.IValueInfoProto[] = [];
  private readonly used = new Set<string>();

  constructor(readonly opset: number) {}

  /** `base`, or `base_2`, `base_3`... so every tensor and node name is unique. */
  unique(base: string): string {
    let name = base;
    for (let i = 2; this.used.has(name); i++) name = `${base}_${i}`;
    this.used.add(name);
    return name;
  }

  input(name: string, elemType: number, dims: readonly Dim[]): string {
    this.used.add(name);
    this.inputs.push(valueInfo(name, elemType, dims));
    return name;
  }

  output(name: string, elemType: number, dims: readonly Dim[]): void {
    this.outputs.push(valueInfo(name, elemType, dims));
  }

  /** A float32 (Float32Array) or float16 (Uint16Array of bit patterns) weight. */
  weight(name: string, dims: readonly number[], values: Float32Array | Uint16Array): string {
    const elemType = values instanceof Float32Array ? DataType.FLOAT : DataType.FLOAT16;
    return this.tensor(name, dims, elemType, values);
  }

  /** A 1-D int64 constant (shapes, axes, slice bounds). */
  int64(name: string, values: readonly number[]): string {
    return this.tensor(name, [values.length], DataType.INT64, BigInt64Array.from(values, BigInt));
  }

  private tensor(
    name: string,
    dims: readonly number[],
    dataType: number,
    values: Float32Array | Uint16Array | BigInt64Array,
  ): string {
    const unique = this.unique(name);
    this.initializers.push({ name: unique, dims: [...dims], dataType, rawData: rawBytes(values) });
    return unique;
  }

  /** Adds a node; returns its output names (`outputs` is a base name, or several). */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: string | readonly string[],
    attributes: Record<string, AttributeValue> = {},
  ): string[] {
    const names = (typeof outputs === 'string' ? [outputs] : outputs).map((o) => this.unique(o));
    this.nodes.push({
      opType,
      name: this.unique(`${names[0]}/${opType}`),
      input: [...inputs],
      output: names,
      attribute: Object.entries(attributes).map(([key, value]) => toAttribute(key, value)),
    });
    return names;
  }

  /** Single-output shorthand. */
  op(
    opType: string,
    inputs: readonly string[],
    output: string,
    attributes: Record<string, AttributeValue> = {},
  ): string {
    return this.node(opType, inputs, output, attributes)[0]!;
  }

  toModel(meta: {
    graphName: string;
    producerVersion: string;
    docString?: string;
    metadata?: Record<string, string>;
  }): onnx.ModelProto {
    return onnx.ModelProto.create({
      irVersion: 7, // ONNX 1.7; enough for opset 13 and read by every current runtime and TensorRT
      opsetImport: [{ domain: '', version: this.opset }],
      producerName: 'retinaface-trt',
      producerVersion: meta.producerVersion,
      docString: meta.docString ?? '',
      graph: {
        name: meta.graphName,
        node: this.nodes,
        initializer: this.initializers,
        input: this.inputs,
        output: this.outputs,
      },
      metadataProps: Object.entries(meta.metadata ?? {}).map(([key, value]) => ({ key, value })),
    });
  }
}

export function encodeModel(model: onnx.IModelProto): Uint8Array {
  return onnx.ModelProto.encode(model).finish();
}

export function decodeModel(bytes: Uint8Array): onnx.ModelProto {
  return onnx.ModelProto.decode(bytes);
}
