#include "arcface_template.h"

namespace retinaface {

void arcfaceTemplate(int size, float out[kAlignPoints][2]) {
  // NumPy: dst = arcface_dst * ratio (float32 times a Python float -> float32 product);
  // dst[:, 0] += diff_x (float32 add).
  const bool by112 = size % 112 == 0 || size % 128 != 0;
  const double ratio = by112 ? size / 112.0 : size / 128.0;
  const float ratio32 = static_cast<float>(ratio);
  const float shift32 = by112 ? 0.0f : static_cast<float>(8.0 * ratio);
  for (int k = 0; k < kAlignPoints; ++k) {
    out[k][0] = kArcfaceTemplate112[k][0] * ratio32 + shift32;
    out[k][1] = kArcfaceTemplate112[k][1] * ratio32;
  }
}

}  // namespace retinaface
