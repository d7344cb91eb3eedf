/**
 * biubug6's RetinaFace (models/retinaface.py, models/net.py) as a dynamic-shape ONNX graph:
 *   backbone -> FPN (1x1 laterals, nearest upsampling to the lateral's size, 3x3 merges) -> SSH per level
 *   -> 1x1 heads per level -> NHWC flatten -> concat over levels -> softmax on the class scores.
 * Input `input0` float32 [batch, 3, height, width] (BGR minus (104, 117, 123)); outputs `loc` [batch, N, 4],
 * `conf` [batch, N, 2] (softmaxed), `landms` [batch, N, 10]. Any height and width work, odd ones included.
 *
 * FP16: weights and every activation are float16, the interface stays float32 through a Cast after the input and
 * before each output, so the CPU backend, the preprocessing and the anchor decode see the same tensors as with the
 * FP32 graph, and TensorRT runs the whole network in half precision.
 */
import { RetinaFaceError } from '../../errors';
import type { StateDict } from '../checkpoint/read-checkpoint';
import { DataType, GraphBuilder } from '../onnx/graph-builder';
import { mobileNetBody } from './backbone-mobilenet';
import { resnet50Body } from './backbone-resnet50';
import { Layers, type Precision } from './layers';
import { Weights } from './weights';

export const ARCHITECTURES = ['mobilenet0.25', 'resnet50'] as const;
export type Architecture = (typeof ARCHITECTURES)[number];

export const OPSET = 13;
export const INPUT_NAME = 'input0';
/** Anchors per feature-map cell (two sizes per level in biubug6's cfg). */
const ANCHORS = 2;

export interface BuildOptions {
  /** Default: recognised from the parameter names. */
  architecture?: Architecture;
  precision?: Precision;
  /** Names the weights in error messages. */
  source?: string;
  /** Written into the model's metadata (e.g. the weights' sha256). */
  metadata?: Record<string, string>;
  producerVersion?: string;
}

/** The architecture a state_dict was trained for, from its parameter names. */
export function detectArchitecture(stateDict: StateDict, source: string): Architecture {
  const keys = new Set([...stateDict.keys()].map((k) => (k.startsWith('module.') ? k.slice(7) : k)));
  if (keys.has('body.stage1.0.0.weight')) return 'mobilenet0.25';
  if (keys.has('body.conv1.weight') && keys.has('body.layer1.0.conv1.weight')) return 'resnet50';
  const sample = [...keys].slice(0, 3).join(', ');
  throw new RetinaFaceError(
    'CHECKPOINT_INVALID',
    `${source} is not a biubug6 RetinaFace state_dict (no body.stage1.* or body.layer1.* parameters; it starts with ${sample})`,
  );
}

/** LeakyReLU slope of FPN and SSH: biubug6 uses 0.1 when out_channels <= 64 (MobileNet), else 0 (ReLU). */
function neckSlope(outChannels: number): { slope: number } {
  return { slope: outChannels <= 64 ? 0.1 : 0 };
}

/**
 * FPN: output_i = conv_bn1X1(feature_i); output2 += up(output3); merge2; output1 += up(output2); merge1.
 * up() = F.interpolate(mode='nearest') to the lateral's [h, w], read from Shape at run time so any size works.
 */
function fpn(layers: Layers, features: { out: string; channels: number }[]): { out: string; channels: number }[] {
  const { graph } = layers;
  const lateral = features.map((f, i) =>
    layers.conv(f.out, f.channels, `fpn.output${i + 1}.0`, `fpn.output${i + 1}.1`, { kernel: 1 }, null),
  );
  const channels = lateral[0]!.channels;
  const act = neckSlope(channels);
  const activated = lateral.map((l, i) => layers.activate(l.out, act.slope, `fpn.output${i + 1}.act`));
  const nchw0 = graph.int64('fpn.axes.n_c.start', [0]);
  const nchw2 = graph.int64('fpn.axes.n_c.end', [2]);
  const nchw4 = graph.int64('fpn.axes.h_w.end', [4]);
  const upsample = (x: string, like: string, name: string) => {
    const batchChannels = graph.op(
      'Slice',
      [graph.op('Shape', [x], `${name}.shape_of_source`), nchw0, nchw2],
      `${name}.n_c`,
    );
    const heightWidth = graph.op(
      'Slice',
      [graph.op('Shape', [like], `${name}.shape_of_lateral`), nchw2, nchw4],
      `${name}.h_w`,
    );
    const sizes = graph.op('Concat', [batchChannels, heightWidth], `${name}.sizes`, { axis: { int: 0 } });
    // asymmetric + floor = PyTorch's nearest: source index floor(dst * in / out).
    return graph.op('Resize', [x, '', '', sizes], name, {
      mode: { string: 'nearest' },
      coordinate_transformation_mode: { string: 'asymmetric' },
      nearest_mode: { string: 'floor' },
    });
  };
  const out3 = activated[2]!;
  const sum2 = layers.add(activated[1]!, upsample(out3, activated[1]!, 'fpn.up3'), 'fpn.add2');
  const out2 = layers.conv(sum2, channels, 'fpn.merge2.0', 'fpn.merge2.1', { kernel: 3, out: channels }, act).out;
  const sum1 = layers.add(activated[0]!, upsample(out2, activated[0]!, 'fpn.up2'), 'fpn.add1');
  const out1 = layers.conv(sum1, channels, 'fpn.merge1.0', 'fpn.merge1.1', { kernel: 3, out: channels }, act).out;
  return [out1, out2, out3].map((out) => ({ out, channels }));
}

/** SSH context module: concat(3x3, 5x5 (two 3x3), 7x7 (three 3x3)) -> ReLU. Note upstream's `conv7x7_3` spelling. */
function ssh(layers: Layers, x: { out: string; channels: number }, name: string): { out: string; channels: number } {
  const act = neckSlope(x.channels);
  const half = { kernel: 3, out: x.channels / 2 };
  const quarter = { kernel: 3, out: x.channels / 4 };
  const branch3 = layers.conv(x.out, x.channels, `${name}.conv3X3.0`, `${name}.conv3X3.1`, half, null);
  const first5 = layers.conv(x.out, x.channels, `${name}.conv5X5_1.0`, `${name}.conv5X5_1.1`, quarter, act);
  const branch5 = layers.conv(first5.out, first5.channels, `${name}.conv5X5_2.0`, `${name}.conv5X5_2.1`, quarter, null);
  const second7 = layers.conv(first5.out, first5.channels, `${name}.conv7X7_2.0`, `${name}.conv7X7_2.1`, quarter, act);
  const branch7 = layers.conv(
    second7.out,
    second7.channels,
    `${name}.conv7x7_3.0`,
    `${name}.conv7x7_3.1`,
    quarter,
    null,
  );
  const concat = layers.graph.op('Concat', [branch3.out, branch5.out, branch7.out], `${name}.concat`, {
    axis: { int: 1 },
  });
  return {
    out: layers.activate(concat, 0, `${name}.relu`),
    channels: branch3.channels + branch5.channels + branch7.channels,
  };
}

/** One head over the three levels: conv1x1 -> permute(0, 2, 3, 1) -> view(batch, -1, width) -> concat on dim 1. */
function head(
  layers: Layers,
  features: { out: string; channels: number }[],
  name: string,
  width: number,
  output: string,
): string {
  const { graph } = layers;
  const shape = graph.int64(`${name}.shape`, [0, -1, width]); // 0 = keep the batch dimension
  const levels = features.map((f, i) => {
    const conv = layers.conv(
      f.out,
      f.channels,
      `${name}.${i}.conv1x1`,
      null,
      { kernel: 1, out: ANCHORS * width },
      null,
      true,
    );
    const nhwc = graph.op('Transpose', [conv.out], `${name}.${i}.nhwc`, { perm: { ints: [0, 2, 3, 1] } });
    return graph.op('Reshape', [nhwc, shape], `${name}.${i}.flat`);
  });
  return graph.op('Concat', levels, output, { axis: { int: 1 } });
}

export function buildRetinaFace(stateDict: StateDict, options: BuildOptions = {}): GraphBuilder {
  const source = options.source ?? 'the checkpoint';
  const architecture = options.architecture ?? detectArchitecture(stateDict, source);
  const precision = options.precision ?? 'fp32';
  const other = architecture === 'resnet50' ? 'mobilenet0.25' : 'resnet50';
  const weights = new Weights(
    stateDict,
    source,
    architecture,
    `Is it a checkpoint of biubug6's RetinaFace with the ${other} backbone (--arch ${other}) or another network?`,
  );
  const graph = new GraphBuilder(OPSET);
  const layers = new Layers(graph, weights, precision);
  const floatType = precision === 'fp16' ? DataType.FLOAT16 : DataType.FLOAT;

  const input = graph.input(INPUT_NAME, DataType.FLOAT, ['batch', 3, 'height', 'width']);
  const x = precision === 'fp16' ? graph.op('Cast', [input], 'input0.fp16', { to: { int: floatType } }) : input;
  const body = architecture === 'resnet50' ? resnet50Body(layers, x) : mobileNetBody(layers, x);
  const pyramid = fpn(layers, body).map((level, i) => ssh(layers, level, `ssh${i + 1}`));

  // In FP32 the final nodes carry the output names; in FP16 those names go to the float32 casts of the results.
  const named = (name: string, fp16Name: string) => (precision === 'fp16' ? fp16Name : name);
  const loc = head(layers, pyramid, 'BboxHead', 4, named('loc', 'BboxHead.concat'));
  const logits = head(layers, pyramid, 'ClassHead', 2, 'ClassHead.concat');
  const conf = graph.op('Softmax', [logits], named('conf', 'ClassHead.softmax'), { axis: { int: -1 } });
  const landms = head(layers, pyramid, 'LandmarkHead', 10, named('landms', 'LandmarkHead.concat'));
  weights.finish();
  for (const [name, value, width] of [
    ['loc', loc, 4],
    ['conf', conf, 2],
    ['landms', landms, 10],
  ] as const) {
    if (precision === 'fp16') graph.op('Cast', [value], name, { to: { int: DataType.FLOAT } });
    graph.output(name, DataType.FLOAT, ['batch', 'priors', width]);
  }
  return graph;
}
