// A 2x3 affine matrix [a b c; d e f] (x' = a x + b y + c, y' = d x + e y + f) and its inverse as OpenCV computes
// it, so the inverse we return is the one cv2.warpAffine (and cv2.invertAffineTransform) would use.
#pragma once

namespace retinaface {

struct AffineMatrix {
  double m[6];  // row-major: a, b, c, d, e, f
};

// OpenCV's inversion (warpAffine without WARP_INVERSE_MAP): the same operations in the same order, so the warp's
// source coordinates match OpenCV's to the last bit. A singular matrix gives all zeros, as OpenCV does.
inline AffineMatrix invertAffine(const AffineMatrix& forward) {
  const double* M = forward.m;
  double D = M[0] * M[4] - M[1] * M[3];
  D = D != 0 ? 1. / D : 0;
  AffineMatrix inverse;
  double* I = inverse.m;
  const double a11 = M[4] * D, a22 = M[0] * D;
  I[0] = a11;
  I[1] = M[1] * -D;
  I[3] = M[3] * -D;
  I[4] = a22;
  I[2] = -I[0] * M[2] - I[1] * M[5];
  I[5] = -I[3] * M[2] - I[4] * M[5];
  return inverse;
}

}  // namespace retinaface
