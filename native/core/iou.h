// Intersection over union with upstream py_cpu_nms's "+1" pixel convention (width = x2 - x1 + 1): one definition for
// the CPU NMS (nms.cc) and its CUDA twin (native/cuda/nms_kernels.cu), so both compute it operand for operand.
// Box: anything with float x1, y1, x2, y2 (a Face, or the NMS kernel's four-float copy in shared memory).
#pragma once
#include "host_device.h"
#include "min_max.h"

namespace retinaface {

template <typename Box>
RETINAFACE_HOST_DEVICE inline float areaPlusOne(const Box& f) {
  return (f.x2 - f.x1 + 1) * (f.y2 - f.y1 + 1);
}

// a is the higher-ranked face: with a NaN coordinate, which operand min/max pick depends on the order.
template <typename Box>
RETINAFACE_HOST_DEVICE inline float iouPlusOne(const Box& a, const Box& b) {
  const float w = stdMax(0.0f, stdMin(a.x2, b.x2) - stdMax(a.x1, b.x1) + 1);
  const float h = stdMax(0.0f, stdMin(a.y2, b.y2) - stdMax(a.y1, b.y1) + 1);
  const float inter = w * h;
  return inter / (areaPlusOne(a) + areaPlusOne(b) - inter);
}

}  // namespace retinaface
