/**
 * float32 RetinaFace ONNX -> QDQ INT8 model (QuantizeLinear/DequantizeLinear pairs, the format onnxruntime's CPU
 * kernels and TensorRT's explicit quantization both read):
 * - activations: per-tensor, int8 symmetric (zero point 0; TensorRT) or uint8 asymmetric (onnxruntime's x86 kernels
 *   fuse all of it), one Q->DQ pair right after the producer of every planned float tensor that feeds an op the
 *   runtimes run in int8 (Conv, LeakyRelu, Relu, Add, Concat, Resize), and on the graph input. Consumers that are not
 *   quantized (Shape, the head Transposes, graph outputs) keep reading the float tensor;
 * - Conv weights: per output channel, int8 symmetric in [-127, 127], DequantizeLinear with axis 0 (for a Conv whose
 *   input stays float: the same int8-rounded values stored as float32);
 * - Conv bias: int32 with scale input_scale x weight_scale[c] (onnxruntime's QDQ Conv fusion into QLinearConv needs
 *   every Conv input to come from a DequantizeLinear, the bias as int32), or kept float (`bias: 'float'`; what
 *   onnxruntime's quantizer writes with QuantizeBias=False for TensorRT);
 * - Resize output: the same scale as its input (onnxruntime drops the Q/DQ around it only then).
 * The head convolutions (whose outputs go to Transpose/Reshape) keep float outputs: int8 weights, float result.
 */
import { onnx } from 'onnx-proto';
import { RetinaFaceError } from '../../../errors';
import { tensorFloats } from '../fp16-rewrite';
import { DataType } from '../graph-builder';

/** Ops whose float inputs are quantized (Resize: its data input only). */
const QUANTIZED_CONSUMERS: ReadonlySet<string> = new Set(['Conv', 'LeakyRelu', 'Relu', 'Add', 'Concat', 'Resize']);
/** Ops whose float output may be quantized (when a quantized consumer reads it). */
const QUANTIZED_PRODUCERS: ReadonlySet<string> = new Set(['Conv', 'LeakyRelu', 'Relu', 'Add', 'Concat', 'Resize']);

export type BiasMode = 'int32' | 'float';

export interface QuantizationPlan {
  /** Float tensors that get a Q/DQ pair, in graph order; the graph input first. */
  tensors: string[];
  /** Resize outputs that take their input's scale: output -> input. */
  sharedScale: Map<string, string>;
}

function invalid(detail: string): RetinaFaceError {
  return new RetinaFaceError('MODEL_INVALID', `cannot quantize the model: ${detail}`);
}

function opsetOf(model: onnx.IModelProto): number {
  const entry = (model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx');
  return Number(entry?.version ?? 0);
}

function quantizedInputSlots(node: onnx.INodeProto): number[] {
  if (node.opType === 'Resize') return [0];
  if (node.opType === 'Conv') return [0];
  return (node.input ?? []).map((_, i) => i);
}

/** Which tensors to quantize. Checks that the model is one we can quantize (opset >= 13, no subgraphs). */
export function planQuantization(model: onnx.IModelProto): QuantizationPlan {
  const opset = opsetOf(model);
  if (opset < 13) {
    throw invalid(
      `its opset is ${opset}; per-channel DequantizeLinear needs opset 13 or later ` +
        '(convert the weights with `retinaface convert`, which writes opset 13)',
    );
  }
  const graph = model.graph;
  if (!graph) throw invalid('it has no graph');
  const initializers = new Set((graph.initializer ?? []).map((t) => t.name!));
  const producers = new Map<string, onnx.INodeProto>();
  for (const node of graph.node ?? []) {
    if ((node.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length)))
      throw invalid(`${node.opType} ${node.name} has a subgraph`);
    for (const out of node.output ?? []) producers.set(out, node);
  }
  const wanted = new Set<string>();
  for (const node of graph.node ?? []) {
    if (!QUANTIZED_CONSUMERS.has(node.opType ?? '')) continue;
    if (
      node.opType === 'Concat' &&
      !(node.input ?? []).every((i) => QUANTIZED_PRODUCERS.has(producers.get(i)?.opType ?? ''))
    )
      continue;
    for (const slot of quantizedInputSlots(node)) {
      const name = node.input![slot];
      if (!name || initializers.has(name)) continue;
      const producer = producers.get(name);
      if (producer ? QUANTIZED_PRODUCERS.has(producer.opType ?? '') : (graph.input ?? []).some((i) => i.name === name))
        wanted.add(name);
    }
  }
  const sharedScale = new Map<string, string>();
  for (const node of graph.node ?? []) {
    if (node.opType === 'Resize' && wanted.has(node.output![0]!) && wanted.has(node.input![0]!))
      sharedScale.set(node.output![0]!, node.input![0]!);
  }
  const order: string[] = (graph.input ?? []).map((i) => i.name!).filter((n) => wanted.has(n));
  for (const node of graph.node ?? []) for (const out of node.output ?? []) if (wanted.has(out)) order.push(out);
  return { tensors: order, sharedScale };
}

/** The model with every planned tensor also exposed as a graph output, for calibration. */
export function withCalibrationOutputs(model: onnx.ModelProto, tensors: readonly string[]): onnx.ModelProto {
  const copy = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  const outputs = copy.graph!.output as onnx.IValueInfoProto[];
  const existing = new Set(outputs.map((o) => o.name));
  for (const name of tensors) {
    if (existing.has(name)) continue;
    outputs.push({ name, type: { tensorType: { elemType: DataType.FLOAT } } });
  }
  return copy;
}

function tensorProto(
  name: string,
  dims: readonly number[],
  dataType: number,
  values: Float32Array | Int8Array | Uint8Array | Int32Array,
): onnx.ITensorProto {
  return {
    name,
    dims: [...dims],
    dataType,
    rawData: new Uint8Array(values.buffer, values.byteOffset, values.byteLength).slice(),
  };
}

const INT8_MAX = 127;
/** Smallest scale written: a tensor that was all zeros over the calibration set still needs a valid scale. */
const MIN_SCALE = 1e-8;

export type ActivationType = 'int8' | 'uint8';

export interface QdqOptions {
  /** |x| clipping threshold of each planned activation tensor (from calibration). */
  ranges: ReadonlyMap<string, number>;
  /**
   * 'int8' (default): symmetric, zero point 0 (what TensorRT requires). 'uint8': asymmetric over [min, max] clipped
   * to the threshold (needs `minMax`); twice the resolution for the mostly positive LeakyRelu outputs.
   */
  activations?: ActivationType;
  /** Observed min and max of each planned tensor, for 'uint8'. */
  minMax?: ReadonlyMap<string, { min: number; max: number }>;
  bias?: BiasMode;
  /** Recorded in the model's metadata. */
  method?: string;
  images?: number;
  /** Leading activations left float (recorded in the metadata). */
  keepFloat?: number;
}

/** Writes the QDQ model (a new ModelProto; `model` is not changed). */
export function insertQdq(model: onnx.ModelProto, plan: QuantizationPlan, options: QdqOptions): onnx.ModelProto {
  const out = onnx.ModelProto.decode(onnx.ModelProto.encode(model).finish());
  // Decoded messages carry every repeated field (empty when absent).
  const graph = out.graph as onnx.GraphProto & {
    node: onnx.NodeProto[];
    initializer: onnx.TensorProto[];
    input: onnx.ValueInfoProto[];
  };
  const used = new Set<string>();
  for (const n of graph.node) for (const t of [...n.input, ...n.output]) used.add(t);
  for (const t of graph.initializer) used.add(t.name);
  for (const v of graph.input) used.add(v.name);
  const unique = (base: string): string => {
    let name = base;
    for (let i = 2; used.has(name); i++) name = `${base}_${i}`;
    used.add(name);
    return name;
  };
  const newInitializers: onnx.ITensorProto[] = [];
  const scalar = (base: string, dataType: number, value: number): string => {
    const name = unique(base);
    const values =
      dataType === DataType.FLOAT
        ? Float32Array.of(value)
        : dataType === DataType.UINT8
          ? Uint8Array.of(value)
          : Int8Array.of(value);
    newInitializers.push(tensorProto(name, [], dataType, values));
    return name;
  };

  // Activation scales (and zero points, for uint8).
  const asymmetric = options.activations === 'uint8';
  const scaleOf = new Map<string, number>();
  const zeroOf = new Map<string, number>();
  for (const name of plan.tensors) {
    const source = plan.sharedScale.get(name) ?? name;
    const range = options.ranges.get(source);
    if (range === undefined || !Number.isFinite(range)) throw invalid(`no calibration range for ${source}`);
    if (!asymmetric) {
      scaleOf.set(name, Math.max(range / INT8_MAX, MIN_SCALE));
      zeroOf.set(name, 0);
      continue;
    }
    const observed = options.minMax?.get(source);
    if (!observed) throw invalid(`no calibration min/max for ${source}`);
    // The range must hold 0 exactly (zero padding, ReLU): widen to include it.
    const lo = Math.min(0, Math.max(observed.min, -range)),
      hi = Math.max(0, Math.min(observed.max, range));
    const scale = Math.max((hi - lo) / 255, MIN_SCALE);
    scaleOf.set(name, scale);
    zeroOf.set(name, Math.max(0, Math.min(255, Math.round(-lo / scale))));
  }

  // One Q -> DQ pair per planned tensor, right after its producer (graph input: first).
  const dequantized = new Map<string, string>();
  const qdqNodes = new Map<string, onnx.INodeProto[]>(); // producer output -> nodes to insert after it
  for (const name of plan.tensors) {
    const scale = scalar(`${name}_scale`, DataType.FLOAT, Math.fround(scaleOf.get(name)!));
    const zero = scalar(`${name}_zero_point`, asymmetric ? DataType.UINT8 : DataType.INT8, zeroOf.get(name)!);
    const q = unique(`${name}_QuantizeLinear`),
      dq = unique(`${name}_DequantizeLinear`);
    const qOut = unique(`${name}_quantized`),
      dqOut = unique(`${name}_dequantized`);
    qdqNodes.set(name, [
      onnx.NodeProto.create({ opType: 'QuantizeLinear', name: q, input: [name, scale, zero], output: [qOut] }),
      onnx.NodeProto.create({ opType: 'DequantizeLinear', name: dq, input: [qOut, scale, zero], output: [dqOut] }),
    ]);
    dequantized.set(name, dqOut);
  }

  const initializers = new Map<string, onnx.ITensorProto>(graph.initializer.map((t) => [t.name!, t]));
  // An initializer another node also reads stays (RetinaFace exports share none, but a graph may).
  const uses = new Map<string, number>();
  for (const n of graph.node) for (const i of n.input) uses.set(i, (uses.get(i) ?? 0) + 1);
  const dropped = new Set<string>();
  const nodes: onnx.INodeProto[] = [];
  for (const input of graph.input) nodes.push(...(qdqNodes.get(input.name) ?? []));
  for (const node of graph.node) {
    const isConcatOfQuantized = node.opType !== 'Concat' || node.input.every((i) => dequantized.has(i));
    if (QUANTIZED_CONSUMERS.has(node.opType) && isConcatOfQuantized) {
      for (const slot of quantizedInputSlots(node)) {
        const dq = dequantized.get(node.input[slot]!);
        if (dq) node.input[slot] = dq;
      }
    }
    if (node.opType === 'Conv') {
      quantizeConvWeights(node, initializers, scaleOfInput(node), options.bias ?? 'int32', {
        unique,
        newInitializers,
        nodes,
        dropped,
        uses,
      });
    }
    nodes.push(node);
    for (const o of node.output) nodes.push(...(qdqNodes.get(o) ?? []));
  }

  function scaleOfInput(node: onnx.NodeProto): number | undefined {
    const original = [...dequantized.entries()].find(([, dq]) => dq === node.input[0])?.[0];
    return original === undefined ? undefined : scaleOf.get(original);
  }

  graph.node = nodes as onnx.NodeProto[];
  graph.initializer = [
    ...graph.initializer.filter((t) => !dropped.has(t.name!)),
    ...newInitializers,
  ] as onnx.TensorProto[];
  out.producerName = 'retinaface-trt';
  out.metadataProps = [
    ...(out.metadataProps ?? []).filter(
      (p) => !['quantization', 'calibration_method', 'calibration_images', 'float_activations'].includes(p.key!),
    ),
    {
      key: 'quantization',
      value: `int8 qdq: per-channel symmetric int8 weights, per-tensor ${asymmetric ? 'asymmetric uint8' : 'symmetric int8'} activations, bias ${options.bias ?? 'int32'}`,
    },
    ...(options.method ? [{ key: 'calibration_method', value: options.method }] : []),
    ...(options.images !== undefined ? [{ key: 'calibration_images', value: String(options.images) }] : []),
    ...(options.keepFloat !== undefined ? [{ key: 'float_activations', value: String(options.keepFloat) }] : []),
  ] as onnx.StringStringEntryProto[];
  return out;
}

/** The QDQ model under construction, as the Conv weight rewrite adds to it. */
interface GraphEdit {
  /** A name no tensor or node has yet. */
  unique: (base: string) => string;
  newInitializers: onnx.ITensorProto[];
  /** The rewritten node list (a Conv's DequantizeLinear nodes go before it). */
  nodes: onnx.INodeProto[];
  /** Initializers replaced and read by nothing else. */
  dropped: Set<string>;
  /** How many nodes read each tensor. */
  uses: ReadonlyMap<string, number>;
}

/** Replaces a Conv's float weight (and bias) initializers with int8 (int32) ones behind DequantizeLinear nodes. */
function quantizeConvWeights(
  node: onnx.NodeProto,
  initializers: ReadonlyMap<string, onnx.ITensorProto>,
  inputScale: number | undefined,
  biasMode: BiasMode,
  edit: GraphEdit,
): void {
  const weight = initializers.get(node.input![1] ?? '');
  if (!weight || weight.dataType !== DataType.FLOAT) return; // weights computed at run time: leave the Conv float
  const dims = (weight.dims ?? []).map(Number);
  const channels = dims[0]!;
  const values = tensorFloats(weight);
  const perChannel = values.length / channels;
  const scales = new Float32Array(channels);
  const quantized = new Int8Array(values.length);
  for (let c = 0; c < channels; c++) {
    let absMax = 0;
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) absMax = Math.max(absMax, Math.abs(values[i]!));
    const scale = Math.fround(absMax > 0 ? absMax / INT8_MAX : 1);
    scales[c] = scale;
    for (let i = c * perChannel; i < (c + 1) * perChannel; i++) {
      quantized[i] = Math.max(-INT8_MAX, Math.min(INT8_MAX, Math.round(values[i]! / scale)));
    }
  }
  const base = weight.name!;
  if (inputScale === undefined) {
    // A Conv whose input stays float runs in float anyway: store its int8-rounded weights already dequantized
    // (q x scale is exact in float32, so the result is bit-identical to DequantizeLinear), as a constant
    // onnxruntime can lay out for its fast float kernels (NCHWc) instead of a DequantizeLinear on every run.
    const dequantized = new Float32Array(values.length);
    for (let i = 0; i < values.length; i++)
      dequantized[i] = Math.fround(quantized[i]! * scales[Math.floor(i / perChannel)]!);
    const name = edit.unique(`${base}_int8_rounded`);
    edit.newInitializers.push(tensorProto(name, dims, DataType.FLOAT, dequantized));
    replaceInput(edit, node, 1, name);
    return;
  }
  dequantizePerChannel(edit, node, 1, dims, quantized, scales);

  const bias = initializers.get(node.input![2] ?? '');
  if (biasMode === 'float' || !bias || bias.dataType !== DataType.FLOAT || inputScale === undefined) return;
  const biasValues = tensorFloats(bias);
  const biasScales = new Float32Array(channels);
  const biasQuantized = new Int32Array(channels);
  for (let c = 0; c < channels; c++) {
    biasScales[c] = Math.fround(inputScale * scales[c]!);
    biasQuantized[c] = Math.max(-(2 ** 31), Math.min(2 ** 31 - 1, Math.round(biasValues[c]! / biasScales[c]!)));
  }
  dequantizePerChannel(edit, node, 2, [channels], biasQuantized, biasScales);
}

/**
 * Replaces the float initializer read at input `slot` of `node` by `values` (int8 or int32) with their per-channel
 * scales and zero points, behind a DequantizeLinear along axis 0.
 */
function dequantizePerChannel(
  edit: GraphEdit,
  node: onnx.NodeProto,
  slot: number,
  dims: readonly number[],
  values: Int8Array | Int32Array,
  scales: Float32Array,
): void {
  const { unique } = edit;
  const name = node.input![slot]!;
  const channels = scales.length;
  const type = values instanceof Int8Array ? DataType.INT8 : DataType.INT32;
  const zeros = values instanceof Int8Array ? new Int8Array(channels) : new Int32Array(channels);
  const q = unique(`${name}_quantized`),
    s = unique(`${name}_scale`),
    z = unique(`${name}_zero_point`),
    dq = unique(`${name}_dequantized`);
  edit.newInitializers.push(
    tensorProto(q, dims, type, values),
    tensorProto(s, [channels], DataType.FLOAT, scales),
    tensorProto(z, [channels], type, zeros),
  );
  edit.nodes.push(
    onnx.NodeProto.create({
      opType: 'DequantizeLinear',
      name: unique(`${name}_DequantizeLinear`),
      input: [q, s, z],
      output: [dq],
      attribute: [{ name: 'axis', type: onnx.AttributeProto.AttributeType.INT, i: 0 }],
    }),
  );
  replaceInput(edit, node, slot, dq);
}

/** `node` reads `replacement` at `slot`; the initializer it read there goes unless another node reads it too. */
function replaceInput(edit: GraphEdit, node: onnx.NodeProto, slot: number, replacement: string): void {
  const original = node.input![slot]!;
  if ((edit.uses.get(original) ?? 0) <= 1) edit.dropped.add(original);
  node.input![slot] = replacement;
}
