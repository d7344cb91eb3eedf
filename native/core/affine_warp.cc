#include "affine_warp.h"

#include <stdexcept>
#include <vector>

#include "warp_tap.h"

namespace retinaface {

namespace {

// The pixels of a row whose four taps all lie inside the image: the same sum as warpPixel without its bounds checks
// (most of a face crop); the others go through warpPixel.
template <int Channels>
void warpRow(const PixelView& src, const int* columnX, const int* columnY, int rowX, int rowY, int dstWidth,
             uint8_t* out) {
  const int half = 1 << (kWarpCoefBits - 1);
  for (int x = 0; x < dstWidth; ++x, out += 3) {
    const WarpTap tap = warpTap(rowX, columnX[x], rowY, columnY[x]);
    if (static_cast<unsigned>(tap.x) >= static_cast<unsigned>(src.width - 1) ||
        static_cast<unsigned>(tap.y) >= static_cast<unsigned>(src.height - 1)) {
      warpPixel(src.data, src.width, src.height, Channels, src.rowStride, tap, out);
      continue;
    }
    int w[4];
    warpWeights(tap.fx, tap.fy, w);
    const uint8_t* p0 = src.data + static_cast<size_t>(tap.y) * src.rowStride + static_cast<size_t>(tap.x) * Channels;
    const uint8_t* p1 = p0 + src.rowStride;
    if (Channels == 1) {
      const int v = (p0[0] * w[0] + p0[1] * w[1] + p1[0] * w[2] + p1[1] * w[3] + half) >> kWarpCoefBits;
      out[0] = out[1] = out[2] = static_cast<uint8_t>(v);
    } else {
      for (int c = 0; c < 3; ++c)
        out[c] = static_cast<uint8_t>(
            (p0[c] * w[0] + p0[Channels + c] * w[1] + p1[c] * w[2] + p1[Channels + c] * w[3] + half) >> kWarpCoefBits);
    }
  }
}

}  // namespace

void warpAffineRgb(const PixelView& src, const AffineMatrix& inverse, int dstWidth, int dstHeight, uint8_t* dstRgb) {
  if (src.width <= 0 || src.height <= 0 || dstWidth <= 0 || dstHeight <= 0)
    throw std::invalid_argument("warpAffineRgb: sizes must be positive");
  if (src.channels != 1 && src.channels != 3 && src.channels != 4)
    throw std::invalid_argument("warpAffineRgb: channels must be 1, 3 or 4");
  if (src.rowStride < src.width * src.channels)
    throw std::invalid_argument("warpAffineRgb: rowStride is shorter than a row");
  const double* I = inverse.m;
  // OpenCV's adelta / bdelta: the column terms, computed once per warp.
  std::vector<int> columnX(dstWidth), columnY(dstWidth);
  for (int x = 0; x < dstWidth; ++x) {
    columnX[x] = warpColumnTerm(I[0], x);
    columnY[x] = warpColumnTerm(I[3], x);
  }
  for (int y = 0; y < dstHeight; ++y) {
    const int rowX = warpRowTerm(I[1], I[2], y);
    const int rowY = warpRowTerm(I[4], I[5], y);
    uint8_t* out = dstRgb + static_cast<size_t>(y) * dstWidth * 3;
    if (src.channels == 1) warpRow<1>(src, columnX.data(), columnY.data(), rowX, rowY, dstWidth, out);
    else if (src.channels == 3) warpRow<3>(src, columnX.data(), columnY.data(), rowX, rowY, dstWidth, out);
    else warpRow<4>(src, columnX.data(), columnY.data(), rowX, rowY, dstWidth, out);
  }
}

}  // namespace retinaface
