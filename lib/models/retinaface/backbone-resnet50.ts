/**
 * torchvision's ResNet-50 as biubug6 uses it: IntermediateLayerGetter(resnet50, {layer2, layer3, layer4}), so the
 * keys are torchvision's under `body.` and the feature maps are layer2/3/4 (512/1024/2048 channels, strides
 * 8/16/32). Bottleneck v1.5 (the stride sits on the 3x3 conv), as torchvision has always built it.
 */
import type { Layers } from './layers';

const RELU = { slope: 0 };

/** Blocks per layer and the stride of each layer's first block. */
const LAYERS: readonly (readonly [name: string, blocks: number, stride: number])[] = [
  ['layer1', 3, 1],
  ['layer2', 4, 2],
  ['layer3', 6, 2],
  ['layer4', 3, 2],
];

export function resnet50Body(layers: Layers, input: string): { out: string; channels: number }[] {
  let x = layers.conv(input, 3, 'body.conv1', 'body.bn1', { kernel: 7, stride: 2, padding: 3 }, RELU);
  x = {
    out: layers.graph.op('MaxPool', [x.out], 'body.maxpool', {
      kernel_shape: { ints: [3, 3] },
      strides: { ints: [2, 2] },
      pads: { ints: [1, 1, 1, 1] },
    }),
    channels: x.channels,
  };
  const features: { out: string; channels: number }[] = [];
  for (const [name, blocks, firstStride] of LAYERS) {
    for (let block = 0; block < blocks; block++) {
      const key = `body.${name}.${block}`;
      const stride = block === 0 ? firstStride : 1;
      let y = layers.conv(x.out, x.channels, `${key}.conv1`, `${key}.bn1`, { kernel: 1 }, RELU);
      y = layers.conv(y.out, y.channels, `${key}.conv2`, `${key}.bn2`, { kernel: 3, stride }, RELU);
      y = layers.conv(y.out, y.channels, `${key}.conv3`, `${key}.bn3`, { kernel: 1 }, null);
      const shortcut =
        block === 0
          ? layers.conv(x.out, x.channels, `${key}.downsample.0`, `${key}.downsample.1`, { kernel: 1, stride }, null)
              .out
          : x.out;
      x = { out: layers.activate(layers.add(y.out, shortcut, `${key}.add`), 0, `${key}.relu`), channels: y.channels };
    }
    if (name !== 'layer1') features.push(x);
  }
  return features;
}
