/**
 * biubug6's MobileNetV1 x0.25 backbone (models/net.py): stage1 (conv_bn then five conv_dw), stage2 (six conv_dw),
 * stage3 (two conv_dw); RetinaFace takes the three stage outputs (strides 8, 16, 32). Every activation in it is
 * LeakyReLU(0.1). Channels come from the weights, strides from the architecture.
 */
import type { Layers } from './layers';

const LEAKY = { slope: 0.1 };

/** Strides of the blocks of each stage; block 0 of stage1 is a plain conv_bn, every other block a conv_dw. */
const STAGES: readonly (readonly [name: string, strides: readonly number[]])[] = [
  ['stage1', [2, 1, 2, 1, 2, 1]],
  ['stage2', [2, 1, 1, 1, 1, 1]],
  ['stage3', [2, 1]],
];

/** Returns the three feature maps RetinaFace's FPN consumes, with their channel counts. */
export function mobileNetBody(layers: Layers, input: string): { out: string; channels: number }[] {
  let x = { out: input, channels: 3 };
  const features: { out: string; channels: number }[] = [];
  for (const [stage, strides] of STAGES) {
    strides.forEach((stride, block) => {
      const key = `body.${stage}.${block}`;
      if (stage === 'stage1' && block === 0) {
        x = layers.conv(x.out, x.channels, `${key}.0`, `${key}.1`, { kernel: 3, stride }, LEAKY); // conv_bn
        return;
      }
      // conv_dw: depthwise 3x3 (groups = channels) + BN + LeakyReLU, pointwise 1x1 + BN + LeakyReLU
      x = layers.conv(x.out, x.channels, `${key}.0`, `${key}.1`, { kernel: 3, depthwise: true, stride }, LEAKY);
      x = layers.conv(x.out, x.channels, `${key}.3`, `${key}.4`, { kernel: 1 }, LEAKY);
    });
    features.push(x);
  }
  return features;
}
