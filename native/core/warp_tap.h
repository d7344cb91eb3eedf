// One destination pixel of OpenCV's warpAffine with INTER_LINEAR and a constant 0 border (OpenCV 4.x's fixed-point
// path, no IPP): shared by the CPU warp (affine_warp.cc) and its CUDA twin (native/cuda/affine_warp_kernel.cu),
// which must agree bit for bit.
//
// OpenCV maps each destination pixel (x, y) through the inverse matrix I in 1/1024 pixel units:
//   X = (round((I1*y + I2) * 1024) + 16 + round(I0*x * 1024)) >> 5, likewise Y with I3, I4, I5,
// i.e. source coordinates in 1/32 pixel. X >> 5 is the left tap, X & 31 the horizontal fraction. The four taps are
// blended with 15-bit weights from a 32x32 table (INTER_REMAP_COEF_BITS) and rounded: (sum + 2^14) >> 15. Taps
// outside the image read as the border value 0.
#pragma once
#include <cmath>
#include <cstdint>

#include "host_device.h"

namespace retinaface {

constexpr int kWarpInterBits = 5;                      // INTER_BITS: 1/32 pixel
constexpr int kWarpTabSize = 1 << kWarpInterBits;      // INTER_TAB_SIZE
constexpr int kWarpAbBits = 10;                        // AB_BITS = max(10, INTER_BITS)
constexpr int kWarpAbScale = 1 << kWarpAbBits;         // 1024
constexpr int kWarpRoundDelta = kWarpAbScale / kWarpTabSize / 2;  // 16
constexpr int kWarpCoefBits = 15;                      // INTER_REMAP_COEF_BITS

// cvRound (round half to even) of a coordinate term in 1/1024 pixel. Clamped to +-2^29 first so that the sum of a
// row term and a column term cannot overflow: OpenCV does not clamp, but such coordinates (over a million pixels
// outside the image) land in the zero border either way.
RETINAFACE_HOST_DEVICE inline int warpRound(double v) {
  const double limit = 536870912.0;  // 2^29
  if (!(v > -limit)) v = -limit;  // NaN too
  if (v > limit) v = limit;
#if defined(__CUDA_ARCH__)
  return __double2int_rn(v);
#else
  return static_cast<int>(std::nearbyint(v));
#endif
}

// The per-column terms (OpenCV's adelta/bdelta) and per-row terms (X0/Y0, with the rounding delta).
RETINAFACE_HOST_DEVICE inline int warpColumnTerm(double i0, int x) { return warpRound(i0 * x * kWarpAbScale); }
RETINAFACE_HOST_DEVICE inline int warpRowTerm(double i1, double i2, int y) {
  return warpRound((i1 * y + i2) * kWarpAbScale) + kWarpRoundDelta;
}

struct WarpTap {
  int x, y;    // top-left source tap (saturated to int16 as OpenCV stores it)
  int fx, fy;  // fractions in 1/32 pixel
};

RETINAFACE_HOST_DEVICE inline int saturateInt16(int v) { return v < -32768 ? -32768 : (v > 32767 ? 32767 : v); }

RETINAFACE_HOST_DEVICE inline WarpTap warpTap(int rowTermX, int columnTermX, int rowTermY, int columnTermY) {
  const int X = (rowTermX + columnTermX) >> (kWarpAbBits - kWarpInterBits);
  const int Y = (rowTermY + columnTermY) >> (kWarpAbBits - kWarpInterBits);
  WarpTap tap;
  tap.x = saturateInt16(X >> kWarpInterBits);
  tap.y = saturateInt16(Y >> kWarpInterBits);
  tap.fx = X & (kWarpTabSize - 1);
  tap.fy = Y & (kWarpTabSize - 1);
  return tap;
}

// OpenCV's BilinearTab_i entry for (fy, fx): (1 - fy, fy) x (1 - fx, fx) in float, times 2^15. With 1/32 steps every
// product is exact, so this is (32 - fy or fy) * (32 - fx or fx) * 32. At (0, 0) the 32768 saturates to 32767 and
// OpenCV's sum correction adds the missing 1 to the bottom-right weight (it searches the wrong 2x2 window for a
// 2-tap kernel); the result is the same for 8-bit pixels, but we keep its weights.
RETINAFACE_HOST_DEVICE inline void warpWeights(int fx, int fy, int w[4]) {
  if (fx == 0 && fy == 0) {
    w[0] = 32767;
    w[1] = w[2] = 0;
    w[3] = 1;
    return;
  }
  w[0] = (kWarpTabSize - fy) * (kWarpTabSize - fx) * 32;
  w[1] = (kWarpTabSize - fy) * fx * 32;
  w[2] = fy * (kWarpTabSize - fx) * 32;
  w[3] = fy * fx * 32;
}

// The output pixel (3 bytes, R G B) for one tap from a gray (1), RGB (3) or RGBA (4, alpha ignored) source with
// rowStride bytes per row. Taps outside the image count as 0 (BORDER_CONSTANT, borderValue 0).
RETINAFACE_HOST_DEVICE inline void warpPixel(const uint8_t* src, int width, int height, int channels, int rowStride,
                                             const WarpTap& tap, uint8_t* rgb) {
  int w[4];
  warpWeights(tap.fx, tap.fy, w);
  int sum[3] = {0, 0, 0};
  for (int dy = 0; dy < 2; ++dy) {
    const int sy = tap.y + dy;
    if (sy < 0 || sy >= height) continue;
    const uint8_t* row = src + static_cast<int64_t>(sy) * rowStride;
    for (int dx = 0; dx < 2; ++dx) {
      const int sx = tap.x + dx;
      if (sx < 0 || sx >= width) continue;
      const int weight = w[2 * dy + dx];
      const uint8_t* p = row + static_cast<int64_t>(sx) * channels;
      if (channels == 1) {
        sum[0] += p[0] * weight;
      } else {
        sum[0] += p[0] * weight;
        sum[1] += p[1] * weight;
        sum[2] += p[2] * weight;
      }
    }
  }
  if (channels == 1) sum[1] = sum[2] = sum[0];
  const int half = 1 << (kWarpCoefBits - 1);
  for (int c = 0; c < 3; ++c) {
    const int v = (sum[c] + half) >> kWarpCoefBits;
    rgb[c] = static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
  }
}

}  // namespace retinaface
