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
  'NonMaxSuppression',
  'TopK',
  'RoiAlign',
  'Range',
  'CumSum',
  'ReduceLogSumExp',
  'Einsum',
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
  if (tensor.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL)
    throw invalid(`${tensor.name} is stored outside the model`);
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
        result = [
          value?.t
            ? (value.t.dataType ?? 0)
            : attribute('value_float') || attribute('value_floats')
              ? F32
              : DataType.INT64,
        ];
        break;
      }
      case 'ConstantOfShape':
        result = [attribute('value')?.t?.dataType ?? F32];
        break;
      case 'Cast':
        result = [Number(attribute('to')?.i ?? 0)];
        break;
      case 'Shape':
      case 'Size':
      case 'NonZero':
      case 'ArgMax':
      case 'ArgMin':
        result = [DataType.INT64];
        break;
      case 'Equal':
      case 'Less':
      case 'Greater':
      case 'LessOrEqual':
      case 'GreaterOrEqual':
      case 'Not':
      case 'And':
      case 'Or':
      case 'Xor':
      case 'IsNaN':
      case 'IsInf':
        result = [DataType.BOOL];
        break;
      case 'TopK':
      case 'MaxPool':
        result = [firstInput, DataType.INT64];
        break;
      default:
        result = outputs.map(() => firstInput);
    }
    outputs.forEach((name, i) => {
      if (name && !types.has(name)) types.set(name, result[i] ?? result[0] ?? 0);
    });
  }
  return types;
}

type Use = { node: onnx.INodeProto; slot: number };

/** How the graph reads each tensor: which are float32, and which consumer slots need float32 or take any type. */
class FloatUses {
  private readonly types: Map<string, number>;
  private readonly consumers = new Map<string, Use[]>();
  private readonly graphOutputs: Set<string>;

  constructor(
    graph: onnx.IGraphProto,
    private readonly opset: number,
  ) {
    this.types = inferTypes(graph);
    this.graphOutputs = new Set((graph.output ?? []).map((o) => o.name ?? ''));
    for (const node of graph.node ?? []) {
      (node.input ?? []).forEach((name, slot) => {
        if (!name) return;
        if (!this.consumers.has(name)) this.consumers.set(name, []);
        this.consumers.get(name)!.push({ node, slot });
      });
    }
  }

  isFloat(name: string): boolean {
    return this.types.get(name) === F32;
  }

  isGraphOutput(name: string): boolean {
    return this.graphOutputs.has(name);
  }

  /** Does this consumer slot need float32? */
  wantsF32(node: onnx.INodeProto, slot: number): boolean {
    return KEEP_FLOAT32_OPS.has(node.opType ?? '') || floatOnlySlots(node.opType ?? '', this.opset).includes(slot);
  }

  anyType(node: onnx.INodeProto, slot: number): boolean {
    return (ANY_TYPE_INPUTS[node.opType ?? ''] ?? []).includes(slot);
  }

  /** The consumers of `name` whose slot has a type to match. */
  typedUses(name: string): Use[] {
    return (this.consumers.get(name) ?? []).filter((u) => !this.anyType(u.node, u.slot));
  }

  /** A value whose every consumer needs float32 (and that is no graph output) is better produced in float32. */
  onlyF32Consumers(name: string): boolean {
    const uses = this.typedUses(name);
    return uses.length > 0 && !this.graphOutputs.has(name) && uses.every((u) => this.wantsF32(u.node, u.slot));
  }
}

/** Where each float tensor lives after the rewrite: the name of each precision available so far. */
class TensorVersions {
  private readonly versions = new Map<string, Map<number, string>>();
  private readonly castCounter = new Map<string, number>();

  provide(original: string, type: number, name: string): void {
    if (!this.versions.has(original)) this.versions.set(original, new Map());
    this.versions.get(original)!.set(type, name);
  }

  get(original: string, type: number): string | undefined {
    return this.versions.get(original)?.get(type);
  }

  /** The first version provided of `original`, if any. */
  first(original: string): string | undefined {
    return this.versions.get(original)?.values().next().value;
  }

  /** The name of `original` in `type`, appending a Cast to `nodes` when only the other precision exists. */
  asType(original: string, type: number, nodes: onnx.INodeProto[]): string {
    const available = this.versions.get(original);
    if (!available) throw invalid(`${original} is used before it is produced (graph not topologically sorted?)`);
    const existing = available.get(type);
    if (existing) return existing;
    const from = available.get(type === F16 ? F32 : F16)!;
    const suffix = type === F16 ? 'fp16' : 'fp32';
    const count = (this.castCounter.get(original) ?? 0) + 1;
    this.castCounter.set(original, count);
    const name = `${original}.as_${suffix}${count > 1 ? `_${count}` : ''}`;
    nodes.push(castNode(`${name}/Cast`, from, name, type));
    this.provide(original, type, name);
    return name;
  }
}

function castNode(name: string, input: string, output: string, to: number): onnx.INodeProto {
  return {
    opType: 'Cast',
    name,
    input: [input],
    output: [output],
    attribute: [{ name: 'to', type: onnx.AttributeProto.AttributeType.INT, i: to }],
  };
}

/** The graph and its opset, once it is known to be one graph (no If/Loop/Scan subgraphs). */
function checkRewritable(model: onnx.IModelProto): { graph: onnx.IGraphProto; opset: number } {
  const graph = model.graph;
  if (!graph) throw invalid('the model has no graph');
  const opset = Number((model.opsetImport ?? []).find((o) => !o.domain || o.domain === 'ai.onnx')?.version ?? 0);
  for (const node of graph.node ?? []) {
    if ((node.attribute ?? []).some((a) => a.g || (a.graphs && a.graphs.length)))
      throw invalid(`${node.opType} ${node.name} has a subgraph`);
  }
  return { graph, opset };
}

/**
 * Float initializers in half, kept in float32 as well where a consumer needs float32 (the half copy then named
 * `<name>.fp16`); others as they are.
 */
function halveInitializers(graph: onnx.IGraphProto, uses: FloatUses, versions: TensorVersions): onnx.ITensorProto[] {
  const initializers: onnx.ITensorProto[] = [];
  for (const init of graph.initializer ?? []) {
    const name = init.name ?? '';
    if (init.dataType !== F32) {
      initializers.push(init);
      continue;
    }
    const typed = uses.typedUses(name);
    const f32Uses = typed.filter((u) => uses.wantsF32(u.node, u.slot)).length;
    if (f32Uses > 0) {
      // kept exactly for float32 consumers
      initializers.push(init);
      versions.provide(name, F32, name);
    }
    if (f32Uses < typed.length || typed.length === 0) {
      const halfName = f32Uses > 0 ? `${name}.fp16` : name;
      initializers.push(toHalfTensor(init, halfName));
      versions.provide(name, F16, halfName);
    }
  }
  return initializers;
}

/** The graph inputs, float32 as they were. Old exports (IR < 4) also list initializers as inputs: those stay weights. */
function float32Inputs(graph: onnx.IGraphProto, uses: FloatUses, versions: TensorVersions): onnx.IValueInfoProto[] {
  const initializerNames = new Set((graph.initializer ?? []).map((i) => i.name ?? ''));
  const inputs = (graph.input ?? []).filter((i) => !initializerNames.has(i.name ?? ''));
  for (const input of inputs)
    if (uses.isFloat(input.name ?? '')) versions.provide(input.name ?? '', F32, input.name ?? '');
  return inputs;
}

/** The precision a node's float outputs take: half, unless the op stays float32 or only feeds float-only inputs. */
function outputTypeOf(node: onnx.INodeProto, uses: FloatUses): number {
  const op = node.opType ?? '';
  if (KEEP_FLOAT32_OPS.has(op)) return F32;
  const floatOutputs = (node.output ?? []).filter((o) => o && uses.isFloat(o));
  if (
    (op === 'Cast' || op === 'Constant' || op === 'ConstantOfShape') &&
    floatOutputs.length &&
    floatOutputs.every((o) => uses.onlyF32Consumers(o))
  ) {
    return F32; // feeds only float-only inputs (e.g. Resize scales): keep exact
  }
  return F16;
}

/** A Cast to float32 now casts to half; a float Constant (or ConstantOfShape) now holds half values. */
function halveConstant(node: onnx.NodeProto): void {
  const op = node.opType ?? '';
  if (op === 'Cast') {
    node.attribute = node.attribute.map((a) => (a.name === 'to' ? { ...a, i: F16 } : a));
    return;
  }
  if (op !== 'Constant' && op !== 'ConstantOfShape') return;
  if (op === 'ConstantOfShape' && !node.attribute.some((a) => a.name === 'value')) {
    // default: float32 zeros
    node.attribute.push({
      name: 'value',
      type: onnx.AttributeProto.AttributeType.TENSOR,
      t: toHalfTensor({ dims: [1], dataType: F32, floatData: [0] }),
    });
  }
  node.attribute = node.attribute.map((a) => {
    if (a.name === 'value' && a.t?.dataType === F32) return { ...a, t: toHalfTensor(a.t, a.t.name ?? '') };
    if (a.name === 'value_float' || a.name === 'value_floats') {
      const values = a.name === 'value_float' ? [a.f ?? 0] : (a.floats ?? []);
      const dims = a.name === 'value_float' ? [] : [values.length];
      return {
        name: 'value',
        type: onnx.AttributeProto.AttributeType.TENSOR,
        t: toHalfTensor({ dims, dataType: F32, floatData: values }),
      };
    }
    return a;
  });
}

/**
 * A copy of `original` reading each float input in the precision its slot wants (Casts appended to `nodes` where
 * needed) and producing its float outputs in its own precision.
 */
function rewriteNode(
  original: onnx.INodeProto,
  uses: FloatUses,
  versions: TensorVersions,
  nodes: onnx.INodeProto[],
): onnx.NodeProto {
  const node = onnx.NodeProto.create({
    ...original,
    input: [...(original.input ?? [])],
    output: [...(original.output ?? [])],
    attribute: [...(original.attribute ?? [])],
  });
  node.input = node.input.map((name, slot) => {
    if (!name || !uses.isFloat(name) || uses.anyType(node, slot)) return versions.first(name) ?? name;
    return versions.asType(name, uses.wantsF32(node, slot) ? F32 : F16, nodes);
  });
  const outputType = outputTypeOf(node, uses);
  if (outputType === F16 && node.output.some((o) => o && uses.isFloat(o))) halveConstant(node);
  node.output = node.output.map((name) => {
    if (!name || !uses.isFloat(name)) return name;
    // A graph output keeps its name for the float32 cast added at the end.
    const emitted = outputType === F16 && uses.isGraphOutput(name) ? `${name}.fp16` : name;
    versions.provide(name, outputType, emitted);
    return emitted;
  });
  return node;
}

/** Casts back to float32 under its own name every float graph output that was produced in half. */
function castOutputsToFloat32(
  graph: onnx.IGraphProto,
  uses: FloatUses,
  versions: TensorVersions,
  nodes: onnx.INodeProto[],
): void {
  for (const output of graph.output ?? []) {
    const name = output.name ?? '';
    if (!uses.isFloat(name)) continue;
    if (versions.get(name, F32) === name) continue; // produced in float32 under its own name already
    const from = versions.get(name, F16);
    if (!from) throw invalid(`output ${name} is not produced`);
    nodes.push(castNode(`${name}/Cast`, from, name, F32));
  }
}

/** Returns the FP16 twin of `model` (a new object; the input is not modified). */
export function rewriteToFloat16(model: onnx.IModelProto): onnx.ModelProto {
  const { graph, opset } = checkRewritable(model);
  const uses = new FloatUses(graph, opset);
  const versions = new TensorVersions();
  const initializers = halveInitializers(graph, uses, versions);
  const inputs = float32Inputs(graph, uses, versions);
  const nodes: onnx.INodeProto[] = [];
  for (const original of graph.node ?? []) {
    const node = rewriteNode(original, uses, versions, nodes); // appends the Casts it reads first
    nodes.push(node);
  }
  castOutputsToFloat32(graph, uses, versions, nodes);
  return onnx.ModelProto.create({
    ...model,
    graph: onnx.GraphProto.create({
      ...graph,
      node: nodes,
      input: inputs,
      initializer: initializers,
      valueInfo: [], // intermediate types changed; runtimes infer them again
    }),
    metadataProps: [
      ...(model.metadataProps ?? []).filter((p) => p.key !== 'precision'),
      { key: 'precision', value: 'fp16' },
    ],
  });
}
