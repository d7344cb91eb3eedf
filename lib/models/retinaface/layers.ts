/**
 * The layer vocabulary of biubug6's RetinaFace as ONNX: convolution with its batch-norm folded in, activations,
 * residual add.
 */
import type { GraphBuilder } from '../onnx/graph-builder';
import { toHalfArray } from '../onnx/half';
import type { Param, Weights } from './weights';

/** nn.BatchNorm2d's default epsilon; biubug6 never changes it. */
const BN_EPSILON = 1e-5;

/** LeakyReLU slope; 0 = ReLU (biubug6 writes ReLU as LeakyReLU(negative_slope=0)). */
export type Activation = { slope: number } | null;

export interface ConvSpec {
  kernel: number;
  /** One filter per input channel (MobileNet's conv_dw); otherwise groups = 1. */
  depthwise?: boolean;
  /** Expected output channels where the architecture fixes them (heads: anchors x values). */
  out?: number;
  stride?: number;
  /** Default: kernel / 2 ("same" for odd kernels, as every conv in these networks is). */
  padding?: number;
}

export type Precision = 'fp32' | 'fp16';

const f32 = Math.fround;

/**
 * Folds BN(gamma, beta, mean, var) into the preceding conv: s = gamma / sqrt(var + eps), w' = w * s,
 * b' = (b - mean) * s + beta. Every step is rounded to float32 as PyTorch's ONNX exporter computes it, so the
 * folded weights are bit-identical to a torch.onnx.export of the same checkpoint.
 */
export function foldBatchNorm(
  weight: Param,
  bias: Float32Array | null,
  bn: { gamma: Float32Array; beta: Float32Array; mean: Float32Array; variance: Float32Array },
): { weight: Float32Array; bias: Float32Array } {
  const outChannels = weight.shape[0]!;
  const perChannel = weight.values.length / outChannels;
  const folded = new Float32Array(weight.values.length);
  const foldedBias = new Float32Array(outChannels);
  const epsilon = f32(BN_EPSILON);
  for (let o = 0; o < outChannels; o++) {
    const scale = f32(bn.gamma[o]! / f32(Math.sqrt(f32(bn.variance[o]! + epsilon))));
    for (let i = o * perChannel; i < (o + 1) * perChannel; i++) folded[i] = weight.values[i]! * scale;
    foldedBias[o] = f32(f32((bias ? bias[o]! : 0) - bn.mean[o]!) * scale) + bn.beta[o]!;
  }
  return { weight: folded, bias: foldedBias };
}

export class Layers {
  constructor(
    readonly graph: GraphBuilder,
    readonly weights: Weights,
    readonly precision: Precision,
  ) {}

  private store(name: string, dims: readonly number[], values: Float32Array): string {
    return this.graph.weight(name, dims, this.precision === 'fp16' ? toHalfArray(values) : values);
  }

  /**
   * Conv2d `convKey` (+ its bias when `withBias`) followed by BatchNorm2d `bnKey` (folded) and an activation.
   * The weight must be [out, in / groups, kernel, kernel]; out channels come from it unless the spec fixes them.
   */
  conv(
    x: string,
    inChannels: number,
    convKey: string,
    bnKey: string | null,
    spec: ConvSpec,
    activation: Activation,
    withBias = false,
  ): { out: string; channels: number } {
    const groups = spec.depthwise ? inChannels : 1;
    const expected = [spec.out ?? (spec.depthwise ? inChannels : -1), inChannels / groups, spec.kernel, spec.kernel];
    const weight = this.weights.get(`${convKey}.weight`, expected);
    const [outChannels = 0, , kh = 1, kw = 1] = weight.shape;
    let bias = withBias ? this.weights.get(`${convKey}.bias`, [outChannels]).values : null;
    let values = weight.values;
    if (bnKey) {
      const bn = (name: string) => this.weights.get(`${bnKey}.${name}`, [outChannels]).values;
      ({ weight: values, bias } = foldBatchNorm(weight, bias, {
        gamma: bn('weight'),
        beta: bn('bias'),
        mean: bn('running_mean'),
        variance: bn('running_var'),
      }));
    }
    const stride = spec.stride ?? 1;
    const padH = spec.padding ?? Math.floor(kh / 2);
    const padW = spec.padding ?? Math.floor(kw / 2);
    const inputs = [x, this.store(`${convKey}.weight`, weight.shape, values)];
    if (bias) inputs.push(this.store(`${convKey}.bias`, [outChannels], bias));
    let out = this.graph.op('Conv', inputs, convKey, {
      kernel_shape: { ints: [kh, kw] },
      strides: { ints: [stride, stride] },
      pads: { ints: [padH, padW, padH, padW] },
      dilations: { ints: [1, 1] },
      group: { int: groups },
    });
    if (activation) out = this.activate(out, activation.slope, `${convKey}.act`);
    return { out, channels: outChannels };
  }

  activate(x: string, slope: number, name: string): string {
    return slope === 0
      ? this.graph.op('Relu', [x], name)
      : this.graph.op('LeakyRelu', [x], name, { alpha: { float: slope } });
  }

  add(a: string, b: string, name: string): string {
    return this.graph.op('Add', [a, b], name);
  }
}
