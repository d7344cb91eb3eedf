// One destination coordinate of OpenCV's INTER_LINEAR resize tables (half-pixel centres, 11-bit fixed-point
// weights): the source index and its two weights. Shared by the CPU letterbox (preprocess_rows.cc) and its CUDA twin
// (letterbox_preprocess.cu), which must agree bit for bit: the same double, then float, arithmetic on both.
#pragma once
#include <cmath>
#include <cstdint>

#include "host_device.h"

namespace retinaface {

constexpr int kResizeCoefBits = 11;  // OpenCV INTER_RESIZE_COEF_BITS
constexpr int kResizeCoefScale = 1 << kResizeCoefBits;

struct ResizeTap {
  int32_t index;
  int16_t w0, w1;
};

// Round to nearest, ties to even (lrint in the default rounding mode).
RETINAFACE_HOST_DEVICE inline int roundHalfEven(float v) {
#if defined(__CUDA_ARCH__)
  return __float2int_rn(v);
#else
  return static_cast<int>(std::lrint(v));
#endif
}

RETINAFACE_HOST_DEVICE inline int floorToInt(float v) {
#if defined(__CUDA_ARCH__)
  return static_cast<int>(floorf(v));
#else
  return static_cast<int>(std::floor(v));
#endif
}

RETINAFACE_HOST_DEVICE inline ResizeTap resizeTap(int srcSize, int dstSize, int d) {
  const double invScale = static_cast<double>(dstSize) / srcSize;
  const double scale = 1.0 / invScale;
  float f = static_cast<float>((d + 0.5) * scale - 0.5);
  int s = floorToInt(f);
  f -= static_cast<float>(s);
  if (s < 0) {
    s = 0;
    f = 0.0f;
  }
  if (s >= srcSize - 1) {
    s = srcSize - 1;
    f = 0.0f;
  }
  ResizeTap tap;
  tap.index = s;
  tap.w0 = static_cast<int16_t>(roundHalfEven((1.0f - f) * kResizeCoefScale));
  tap.w1 = static_cast<int16_t>(roundHalfEven(f * kResizeCoefScale));
  return tap;
}

}  // namespace retinaface
