#include "affine_warp.h"

#include <stdexcept>
#include <vector>

#include "warp_tap.h"

namespace retinaface {

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
    for (int x = 0; x < dstWidth; ++x) {
      const WarpTap tap = warpTap(rowX, columnX[x], rowY, columnY[x]);
      warpPixel(src.data, src.width, src.height, src.channels, src.rowStride, tap, out + 3 * x);
    }
  }
}

}  // namespace retinaface
