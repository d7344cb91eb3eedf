// One prior's box and landmarks, decoded with the variances and mapped back to original-image pixels through the
// letterbox: upstream decode()/decode_landm() expression by expression. One definition for the CPU decode
// (decode.cc) and its CUDA twin (native/cuda/decode_kernel.cu), so both produce the same floats.
#pragma once
#include <cmath>

#include "face.h"
#include "host_device.h"
#include "priors.h"

namespace retinaface {

constexpr float kCenterVariance = 0.1f;
constexpr float kSizeVariance = 0.2f;

// The CPU's std::exp(float) is glibc's expf (error under 0.502 ulp, so nearly always the correctly rounded float).
// On the device, exp in double rounded once to float nearly always gives that same float, where CUDA's expf may be
// 1-2 ulp off (docs/cuda.md, "Parity").
RETINAFACE_HOST_DEVICE inline float decodeExp(float x) {
#if defined(__CUDA_ARCH__)
  return static_cast<float>(exp(static_cast<double>(x)));
#else
  return std::exp(x);
#endif
}

// l: the prior's 4 box offsets, m: its 10 landmark offsets, score: its face score. inW x inH is the network input;
// scale is float(letterbox.scale).
RETINAFACE_HOST_DEVICE inline Face decodeFace(const Prior& p, const float* l, const float* m, float score, float inW,
                                              float inH, float scale) {
  const float cx = p.cx + l[0] * kCenterVariance * p.w;
  const float cy = p.cy + l[1] * kCenterVariance * p.h;
  const float w = p.w * decodeExp(l[2] * kSizeVariance);
  const float h = p.h * decodeExp(l[3] * kSizeVariance);
  const float x1 = cx - w / 2;
  const float y1 = cy - h / 2;
  Face face;
  face.x1 = x1 * inW / scale;
  face.y1 = y1 * inH / scale;
  face.x2 = (w + x1) * inW / scale;
  face.y2 = (h + y1) * inH / scale;
  face.score = score;
  for (int k = 0; k < kLandmarkCount; ++k) {
    face.landmarks[2 * k] = (p.cx + m[2 * k] * kCenterVariance * p.w) * inW / scale;
    face.landmarks[2 * k + 1] = (p.cy + m[2 * k + 1] * kCenterVariance * p.h) * inH / scale;
  }
  return face;
}

}  // namespace retinaface
