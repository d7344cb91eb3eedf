// Bilinear affine warp to an RGB image, identical to cv2.warpAffine(src, M, (width, height)) with INTER_LINEAR and a
// constant 0 border (OpenCV 4.x's fixed-point path): the per-pixel arithmetic is warp_tap.h, shared with CUDA.
#pragma once
#include <cstdint>

#include "affine_matrix.h"
#include "preprocess.h"

namespace retinaface {

// Writes dstWidth x dstHeight RGB pixels (3 bytes each, rows packed). `inverse` maps destination pixels to source
// pixels: invertAffine(M) for OpenCV's M (source -> destination). Gray sources are replicated, alpha is ignored.
// Throws std::invalid_argument on inconsistent sizes.
void warpAffineRgb(const PixelView& src, const AffineMatrix& inverse, int dstWidth, int dstHeight, uint8_t* dstRgb);

}  // namespace retinaface
