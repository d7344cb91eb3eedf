// std::min, std::max and std::clamp for the CPU core and its CUDA twins alike, written as the same comparisons the
// standard specifies, so that NaN and signed-zero cases pick the same operand on both (CUDA's fminf/fmaxf would not).
#pragma once
#include "host_device.h"

namespace retinaface {

// std::min(a, b): (b < a) ? b : a
RETINAFACE_HOST_DEVICE inline float stdMin(float a, float b) { return (b < a) ? b : a; }
// std::max(a, b): (a < b) ? b : a
RETINAFACE_HOST_DEVICE inline float stdMax(float a, float b) { return (a < b) ? b : a; }
// std::clamp(v, lo, hi): v < lo ? lo : (hi < v ? hi : v)
RETINAFACE_HOST_DEVICE inline float stdClamp(float v, float lo, float hi) {
  return (v < lo) ? lo : ((hi < v) ? hi : v);
}

}  // namespace retinaface
