#include "face_align.h"

#include <stdexcept>
#include <string>

#include "affine_warp.h"
#include "similarity_transform.h"

namespace retinaface {

AlignTransform alignTransform(const float landmarks[2 * kAlignPoints], int size) {
  if (size < kMinAlignSize || size > kMaxAlignSize)
    throw std::invalid_argument("crop size must be in [" + std::to_string(kMinAlignSize) + ", " +
                                std::to_string(kMaxAlignSize) + "], got " + std::to_string(size));
  float dst[kAlignPoints][2];
  arcfaceTemplate(size, dst);
  AlignTransform transform;
  if (!estimateSimilarity(landmarks, &dst[0][0], kAlignPoints, &transform.matrix))
    throw std::invalid_argument(
        "landmarks are degenerate (not finite, all equal, or with no similarity to the template)");
  transform.inverse = invertAffine(transform.matrix);
  return transform;
}

void alignedCrop(const PixelView& image, const AlignTransform& transform, int size, uint8_t* dstRgb) {
  warpAffineRgb(image, transform.inverse, size, size, dstRgb);
}

}  // namespace retinaface
