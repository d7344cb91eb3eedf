/**
 * Random RetinaFace-ResNet50 weights with the parameter names and shapes of biubug6's model (torchvision resnet50
 * under `body.`, FPN [512, 1024, 2048] -> 256, three SSH of 256, heads with 2 anchors). No trained ResNet-50
 * weights are available to the project, so this is how the resnet50 graph is exercised.
 */
import type { StateDict } from '../../lib/models/checkpoint/read-checkpoint';
import { TorchTensor } from '../../lib/models/checkpoint/tensor';

/** Name -> shape, in the order torch's state_dict lists them. */
export function resnet50RetinaFaceShapes(): [string, number[]][] {
  const shapes: [string, number[]][] = [];
  const bn = (key: string, c: number) => {
    for (const p of ['weight', 'bias', 'running_mean', 'running_var']) shapes.push([`${key}.${p}`, [c]]);
    shapes.push([`${key}.num_batches_tracked`, []]);
  };
  const convBn = (conv: string, norm: string, out: number, inp: number, k: number) => {
    shapes.push([`${conv}.weight`, [out, inp, k, k]]);
    bn(norm, out);
  };
  convBn('body.conv1', 'body.bn1', 64, 3, 7);
  let inChannels = 64;
  for (const [layer, blocks, planes] of [
    ['layer1', 3, 64],
    ['layer2', 4, 128],
    ['layer3', 6, 256],
    ['layer4', 3, 512],
  ] as const) {
    for (let b = 0; b < blocks; b++) {
      const key = `body.${layer}.${b}`;
      convBn(`${key}.conv1`, `${key}.bn1`, planes, inChannels, 1);
      convBn(`${key}.conv2`, `${key}.bn2`, planes, planes, 3);
      convBn(`${key}.conv3`, `${key}.bn3`, planes * 4, planes, 1);
      if (b === 0) convBn(`${key}.downsample.0`, `${key}.downsample.1`, planes * 4, inChannels, 1);
      inChannels = planes * 4;
    }
  }
  [512, 1024, 2048].forEach((c, i) => convBn(`fpn.output${i + 1}.0`, `fpn.output${i + 1}.1`, 256, c, 1));
  for (const m of ['merge1', 'merge2']) convBn(`fpn.${m}.0`, `fpn.${m}.1`, 256, 256, 3);
  for (const s of ['ssh1', 'ssh2', 'ssh3']) {
    convBn(`${s}.conv3X3.0`, `${s}.conv3X3.1`, 128, 256, 3);
    convBn(`${s}.conv5X5_1.0`, `${s}.conv5X5_1.1`, 64, 256, 3);
    convBn(`${s}.conv5X5_2.0`, `${s}.conv5X5_2.1`, 64, 64, 3);
    convBn(`${s}.conv7X7_2.0`, `${s}.conv7X7_2.1`, 64, 64, 3);
    convBn(`${s}.conv7x7_3.0`, `${s}.conv7x7_3.1`, 64, 64, 3);
  }
  for (const [head, width] of [
    ['ClassHead', 2],
    ['BboxHead', 4],
    ['LandmarkHead', 10],
  ] as const) {
    for (let i = 0; i < 3; i++) {
      shapes.push([`${head}.${i}.conv1x1.weight`, [2 * width, 256, 1, 1]]);
      shapes.push([`${head}.${i}.conv1x1.bias`, [2 * width]]);
    }
  }
  return shapes;
}

/** A float32 (or int64 for num_batches_tracked) tensor over its own storage. */
export function tensorOf(values: Float32Array | BigInt64Array, shape: readonly number[]): TorchTensor {
  const stride: number[] = [];
  let s = 1;
  for (let axis = shape.length - 1; axis >= 0; axis--) {
    stride[axis] = s;
    s *= shape[axis]!;
  }
  const float = values instanceof Float32Array;
  return new TorchTensor(
    {
      key: 'k',
      dtype: float ? 'float32' : 'int64',
      elementBytes: float ? 4 : 8,
      numel: values.length,
      data: new Uint8Array(values.buffer, values.byteOffset, values.byteLength),
    },
    0,
    shape,
    stride,
  );
}

/** He-scaled uniform weights, BN statistics near identity; `prefix` e.g. 'module.' as DataParallel saves. */
export function randomResnet50StateDict(seed = 7, prefix = ''): StateDict {
  let state = seed >>> 0;
  const random = () => (state = (Math.imul(state, 1664525) + 1013904223) >>> 0) / 2 ** 32;
  const dict: StateDict = new Map();
  for (const [name, shape] of resnet50RetinaFaceShapes()) {
    if (name.endsWith('num_batches_tracked')) {
      dict.set(prefix + name, tensorOf(BigInt64Array.of(1n), shape));
      continue;
    }
    const n = shape.reduce((a, b) => a * b, 1);
    const values = new Float32Array(n);
    const fanIn = shape.length === 4 ? shape[1]! * shape[2]! * shape[3]! : 1;
    const bound = Math.sqrt(6 / fanIn);
    const positive = name.endsWith('running_var') || (shape.length === 1 && name.endsWith('.weight')); // variances, gammas
    const fill =
      shape.length === 4
        ? () => (random() * 2 - 1) * bound
        : positive
          ? () => 0.5 + random()
          : () => (random() * 2 - 1) * 0.1;
    for (let i = 0; i < n; i++) values[i] = fill();
    dict.set(prefix + name, tensorOf(values, shape));
  }
  return dict;
}
