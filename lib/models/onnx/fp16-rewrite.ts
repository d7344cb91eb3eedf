/**
 * float32 -> float16 rewrite of an ONNX model (any RetinaFace export; generic for single-graph models):
 * float weights become half (rounded to nearest even), float activations become half, and the interface stays
 * float32 with a Cast after each float input and before each float output (same choice as the FP16 builder).
 *
 * Kept in float32, with Casts around them:
 * - inputs that ONNX types as float-only: Resize's `roi`/`scales` (opset >= 11) and Upsample/Resize-10 `scales`,
 *   together with the Constants or Casts that feed only them (a scale rounded to half would change the output size);
 * - ops in KEEP_FLOAT32_OPS, whose half versions are missing or lose too much (index-producing or accumulating ops).
 * Graphs with subgraphs (If/Loop/Scan) or externally stored weights are refused.
 */
import { onnx } from 'onnx-proto';
import { RetinaFaceError } from '../../errors';
import { DataType } from './graph-builder';
import { halfToFloat, toHalfArray } from './half';

export const KEEP_FLOAT32_OPS: ReadonlySet<string> = new Set([
  'NonMaxSuppression', 'TopK', 'RoiAlign', 'Range', 'CumSum', 'ReduceLogSumExp', 'Einsum',
]);

/** Ops whose listed inputs may carry any type: nothing to convert there. */
const ANY_TYPE_INPUTS: Record<string, readonly number[]> = { Shape: [0], Size: [0], Cast: [0] };

const F32 = DataType.FLOAT;
const F16 = DataType.FLOAT16;

function floatOnlySlots(opType: string, opset: number): readonly number[] {
  if (opType === 'Resize') return opset >= 11 ? [1, 2] : [1];
  if (opType === 'Upsample') return [1];
  return [];
}

function invalid(detail: string): RetinaFaceError {
  return new RetinaFaceError('MODEL_INVALID', `cannot rewrite the model to FP16: ${detail}`);
}

/** float32 values of a float tensor proto (raw_data or float_data). */
export function tensorFloats(tensor: onnx.ITensorProto): Float32Array {
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL) throw invalid(`${tensor.name} is stored outside the model`);
  if (tensor.rawData && tensor.rawData.length) {
    const raw = tensor.rawData;
    const copy = new Uint8Array(raw); // aligned copy
    return new Float32Array(copy.buffer, 0, raw.length / 4);
  }
  return Float32Array.from(tensor.floatData ?? []);
}

/** float16 values of a half tensor proto, as numbers. */
export function tensorHalfs(tensor: onnx.ITensorProto): Float32Array {
  if (tensor.rawData && tensor.rawData.length) {
    const copy = new Uint8Array(tensor.rawData);
    return Float32Array.from(new Uint16Array(copy.buffer, 0, copy.length / 2), halfToFloat);
  }
  return Float32Array.from(tensor.int32Data ?? [], halfToFloat); // int32_data holds half bit patterns
}

function toHalfTensor(tensor: onnx.ITensorProto, name = tensor.name ?? ''): onnx.ITensorProto {
  const half = toHalfArray(tensorFloats(tensor));
  return { name, dims: tensor.dims ?? [], dataType: F16, rawData: new Uint8Array(half.buffer) };
}

/** Element type of every tensor in the original graph, from declarations and simple per-op rules. */
function inferTypes(graph: onnx.IGraphProto): Map<string, number> {
  const types = new Map<string, number>();
  const declare = (info: onnx.IValueInfoProto) => {
    const elem = info.type?.tensorType?.elemType;
    if (info.name && elem) types.set(info.name, elem);
  };
  (graph.input ?? []).forEach(declare);
  (graph.valueInfo ?? []).forEach(declare);
  (graph.output ?? []).forEach(declare);
  for (const init of graph.initializer ?? []) if (init.name) types.set(init.name, init.dataType ?? 0);
  for (const node of graph.node ?? []) {
    const outputs = node.output ?? [];
    const attribute = (name: string) => (node.attribute ?? []).find((a) => a.name === name);
    const firstInput = (node.input ?? []).map((i) => types.get(i)).find((t) => t !== undefined) ?? 0;
    let result: number[];
    switch (node.opType) {
      case 'Constant': {
        const value = attribute('value');
        result = [value?.t ? value.t.dataType ?? 0 : attribute('value_float') || attribute('value_floats') ? F32 : DataType.INT64];
        break;
      }
      case 'ConstantOfShape': result = [attribute('value')?.t?.dataType ?? F32]; break;
      case 'Cast': result = [Number(attribute('to')?.i ?? 0)]; break;
      case 'Shape': case 'Size': case 'NonZero': case 'ArgMax': case 'ArgMin': result = [DataType.INT64]; break;
      case 'Equal': case 'Less': case 'Greater': case 'LessOrEqual': case 'GreaterOrEqual': case 'Not': case 'And':
      case 'Or': case 'Xor': case 'IsNaN': case 'IsInf':
        result = [DataType.BOOL]; break;
      case 'TopK': case 'MaxPool': result = [firstInput, DataType.INT64]; break;
      default: result = outputs.map(() => firstInput);
    }
    outputs.forEach((name, i) => {
      if (name && !types.has(name)) types.set(name, result[i] ?? result[0] ?? 0);
    });
  }
  return types;
}

/** Returns the FP16 twin of `model` (a new object; the input is not modified). */
export function rewriteToFloat16(model: onnx.IModelProto): onnx.ModelProto {
  const graph = model.graph;
  if (!graph) throw invalid('the model has no graph');
  const opset = Number((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  for (const node of graph.node ?? []) {
    if ((node.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length))) throw invalid(`${node.opType} ${node.name} has a subgraph`);
  }
  const types = inferTypes(graph);
  const isFloat = (name: string) => types.get(name) === F32;
  const graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));

  /** Does this consumer slot need float32? */
  const wantsF32 = (node: onnx.INodeProto, slot: number) =>
    KEEP_FLOAT32_OPS.has(node.opType ?? '') || floatOnlySlots(node.opType ?? '', opset).includes(slot);
  const anyType = (node: onnx.INodeProto, slot: number) => (ANY_TYPE_INPUTS[node.opType ?? ''] ?? []).includes(slot);
  const consumers = new Map<string, { node: onnx.INodeProto; slot: number }[]>();
  for (const node of graph.node ?? []) {
    (node.input ?? []).forEach((name, slot) => {
      if (!name) return;
      if (!consumers.has(name)) consumers.set(name, []);
      consumers.get(name)!.push({ node, slot });
    });
  }
  /** A value whose every consumer needs float32 (and that is no graph output) is better produced in float32. */
  const onlyF32Consumers = (name: string) => {
    const uses = (consumers.get(name) ?? []).filter((u) => !anyType(u.node, u.slot));
    return uses.length > 0 && !graphOutputs.has(name) && uses.every((u) => wantsF32(u.node, u.slot));
  };

  // Where each float tensor lives after the rewrite: name and precision of its available versions.
  const versions = new Map<string, Map<number, string>>();
  const provide = (original: string, type: number, name: string) => {
    if (!versions.has(original)) versions.set(original, new Map());
    versions.get(original)!.set(type, name);
  };

  const initializers: onnx.ITensorProto[] = [];
  for (const init of graph.initializer ?? []) {
    const name = init.name ?? '';
    if (init.dataType !== F32) {
      initializers.push(init);
      continue;
    }
    const uses = (consumers.get(name) ?? []).filter((u) => !anyType(u.node, u.slot));
    const f32Uses = uses.filter((u) => wantsF32(u.node, u.slot)).length;
    if (f32Uses > 0) { // kept exactly for float32 consumers
      initializers.push(init);
      provide(name, F32, name);
    }
    if (f32Uses < uses.length || uses.length === 0) {
      const halfName = f32Uses > 0 ? `${name}.fp16` : name;
      initializers.push(toHalfTensor(init, halfName));
      provide(name, F16, halfName);
    }
  }
  // Old exports (IR < 4) also list initializers as inputs; those stay weights, no longer overridable inputs.
  const initializerNames = new Set((graph.initializer ?? []).map((i) => i.name ?? ''));
  const inputs = (graph.input ?? []).filter((i) => !initializerNames.has(i.name ?? ''));
  for (const input of inputs) if (isFloat(input.name ?? '')) provide(input.name ?? '', F32, input.name ?? '');

  const nodes: onnx.INodeProto[] = [];
  const castCounter = new Map<string, number>();
  /** The name of `original` in `type`, adding a Cast when only the other precision exists. */
  const asType = (original: string, type: number): string => {
    const available = versions.get(original);
    if (!available) throw invalid(`${original} is used before it is produced (graph not topologically sorted?)`);
    const existing = available.get(type);
    if (existing) return existing;
    const from = available.get(type === F16 ? F32 : F16)!;
    const suffix = type === F16 ? 'fp16' : 'fp32';
    const count = (castCounter.get(original) ?? 0) + 1;
    castCounter.set(original, count);
    const name = `${original}.as_${suffix}${count > 1 ? `_${count}` : ''}`;
    nodes.push({ opType: 'Cast', name: `${name}/Cast`, input: [from], output: [name], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: type }] });
    provide(original, type, name);
    return name;
  };

  for (const original of graph.node ?? []) {
    const node = onnx.NodeProto.create({ ...original, input: [...(original.input ?? [])], output: [...(original.output ?? [])], attribute: [...(original.attribute ?? [])] });
    const op = node.opType ?? '';
    node.input = node.input.map((name, slot) => {
      if (!name || !isFloat(name) || anyType(node, slot)) return versions.get(name)?.values().next().value ?? name;
      return asType(name, wantsF32(node, slot) ? F32 : F16);
    });

    // Which precision this node's float outputs take.
    const floatOutputs = node.output.filter((o) => o && isFloat(o));
    let outputType = KEEP_FLOAT32_OPS.has(op) ? F32 : F16;
    if ((op === 'Cast' || op === 'Constant' || op === 'ConstantOfShape') && floatOutputs.length && floatOutputs.every(onlyF32Consumers)) {
      outputType = F32; // feeds only float-only inputs (e.g. Resize scales): keep exact
    }
    if (outputType === F16 && floatOutputs.length) {
      if (op === 'Cast') {
        node.attribute = node.attribute.map((a) => (a.name === 'to' ? { ...a, i: F16 } : a));
      } else if (op === 'Constant' || op === 'ConstantOfShape') {
        if (op === 'ConstantOfShape' && !node.attribute.some((a) => a.name === 'value')) { // default: float32 zeros
          node.attribute.push({ name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: toHalfTensor({ dims: [1], dataType: F32, floatData: [0] }) });
        }
        node.attribute = node.attribute.map((a) => {
          if (a.name === 'value' && a.t?.dataType === F32) return { ...a, t: toHalfTensor(a.t, a.t.name ?? '') };
          if (a.name === 'value_float' || a.name === 'value_floats') {
            const values = a.name === 'value_float' ? [a.f ?? 0] : a.floats ?? [];
            const dims = a.name === 'value_float' ? [] : [values.length];
            return { name: 'value', type: onnx.AttributeProto.AttributeType.TENSOR, t: toHalfTensor({ dims, dataType: F32, floatData: values }) };
          }
          return a;
        });
      }
    }
    node.output = node.output.map((name) => {
      if (!name || !isFloat(name)) return name;
      // A graph output keeps its name for the float32 cast added at the end.
      const emitted = outputType === F16 && graphOutputs.has(name) ? `${name}.fp16` : name;
      provide(name, outputType, emitted);
      return emitted;
    });
    nodes.push(node);
  }

  for (const output of graph.output ?? []) {
    const name = output.name ?? '';
    if (!isFloat(name)) continue;
    const available = versions.get(name);
    if (available?.get(F32) === name) continue; // produced in float32 under its own name already
    const from = available?.get(F16);
    if (!from) throw invalid(`output ${name} is not produced`);
    nodes.push({ opType: 'Cast', name: `${name}/Cast`, input: [from], output: [name], attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: F32 }] });
  }

  return onnx.ModelProto.create({
    ...model,
    graph: onnx.GraphProto.create({
      ...graph,
      node: nodes,
      input: inputs,
      initializer: initializers,
      valueInfo: [], // intermediate types changed; runtimes infer them again
    }),
    metadataProps: [...(model.metadataProps ?? []).filter((p) => p.key !== 'precision'), { key: 'precision', value: 'fp16' }],
  });
}
