// A face crop aligned to the ArcFace template: the similarity from the five landmarks to the template
// (similarity_transform.h), then the bilinear warp (affine_warp.h), as insightface's face_align.norm_crop does.
#pragma once
#include <cstdint>

#include "affine_matrix.h"
#include "arcface_template.h"
#include "preprocess.h"

namespace retinaface {

constexpr int kMinAlignSize = 16;
constexpr int kMaxAlignSize = 1024;

struct AlignTransform {
  AffineMatrix matrix;   // source pixel -> crop pixel (insightface's M)
  AffineMatrix inverse;  // crop pixel -> source pixel (what the warp samples with)
};

// The transform for a size x size crop from five landmarks (x, y interleaved, in the order of arcface_template.h).
// Throws std::invalid_argument for a size outside [kMinAlignSize, kMaxAlignSize] or landmarks with no similarity
// (non-finite, all equal, or a fit with no scale).
AlignTransform alignTransform(const float landmarks[2 * kAlignPoints], int size);

// Writes the size x size x 3 RGB crop for `transform` into dstRgb.
void alignedCrop(const PixelView& image, const AlignTransform& transform, int size, uint8_t* dstRgb);

}  // namespace retinaface
