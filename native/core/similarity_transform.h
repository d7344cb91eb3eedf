// Least-squares similarity transform (rotation, uniform scale, translation) between two point sets: Umeyama's
// method, as scikit-image's SimilarityTransform.estimate computes it, which insightface's norm_crop relies on.
#pragma once
#include "affine_matrix.h"

namespace retinaface {

// The similarity taking src onto dst in the least-squares sense (count points, x/y interleaved).
//
// The arithmetic is the one NumPy 1.x runs for skimage 0.19's _umeyama when both point sets are float32 (as
// insightface passes them: float32 detector landmarks, the float32 template): means, demeaned points, the
// cross-covariance (BLAS sgemm: a fused multiply-add chain) and the variance in float32; the SVD in float64 rounded
// to float32 (numpy.linalg computes in double); rotation, scale and translation in float64. The result then equals
// the reference's matrix to the last bit, where a plain float64 evaluation differs by up to ~2e-3 px in the
// translation of small faces in large images (float32 rounding of coordinates in the thousands).
//
// Returns false, leaving *out untouched, when there is no such transform: fewer than two distinct points (skimage
// returns NaN), non-finite input, or a result that is not an invertible finite matrix.
bool estimateSimilarity(const float* src, const float* dst, int count, AffineMatrix* out);

}  // namespace retinaface
