#include "similarity_transform.h"

#include <cfloat>
#include <cmath>

// The float32 steps below must round exactly as NumPy does: no contraction of a * b + c into a fused multiply-add
// except where sgemm/dgemv themselves fuse (written as std::fma). Build with -ffp-contract=off (CMakeLists.txt).

namespace retinaface {

namespace {

// ndarray.mean(axis=0) of float32 values: a float32 sum in order, then one division.
float meanF32(const float* values, int count, int stride) {
  float sum = 0.0f;
  for (int k = 0; k < count; ++k) sum += values[k * stride];
  return sum / static_cast<float>(count);
}

// numpy.linalg.svd of a 2x2 matrix: A = U diag(s) Vt, s descending and non-negative. Closed form in double
// (A = R(phi) diag(sx, sy) R(theta)); rounding the factors to float32 then gives what NumPy returns for a float32
// input, except where the singular values are (nearly) equal and the factors themselves are arbitrary.
struct Svd2 {
  double u[2][2], s[2], vt[2][2];
};

Svd2 svd2(double a, double b, double c, double d) {
  const double e = (a + d) / 2, f = (a - d) / 2, g = (c + b) / 2, h = (c - b) / 2;
  const double q = std::hypot(e, h), r = std::hypot(f, g);
  const double a1 = std::atan2(g, f), a2 = std::atan2(h, e);
  const double theta = (a2 - a1) / 2, phi = (a2 + a1) / 2;
  Svd2 out;
  out.u[0][0] = std::cos(phi);
  out.u[0][1] = -std::sin(phi);
  out.u[1][0] = std::sin(phi);
  out.u[1][1] = std::cos(phi);
  out.vt[0][0] = std::cos(theta);
  out.vt[0][1] = -std::sin(theta);
  out.vt[1][0] = std::sin(theta);
  out.vt[1][1] = std::cos(theta);
  out.s[0] = q + r;
  out.s[1] = q - r;
  if (out.s[1] < 0) {
    out.s[1] = -out.s[1];
    out.vt[1][0] = -out.vt[1][0];
    out.vt[1][1] = -out.vt[1][1];
  }
  return out;
}

// Through a volatile float: GCC 12's SLP vectorizer (-O2) was seen dropping the double -> float -> double round trip
// of some of these entries, which changes the result in the 8th digit.
double roundedToF32(double v) {
  volatile float rounded = static_cast<float>(v);
  return rounded;
}

double det2(const double m[2][2]) { return m[0][0] * m[1][1] - m[0][1] * m[1][0]; }

}  // namespace

bool estimateSimilarity(const float* src, const float* dst, int count, AffineMatrix* out) {
  if (count < 2) return false;
  for (int k = 0; k < 2 * count; ++k)
    if (!std::isfinite(src[k]) || !std::isfinite(dst[k])) return false;

  const float srcMean[2] = {meanF32(src, count, 2), meanF32(src + 1, count, 2)};
  const float dstMean[2] = {meanF32(dst, count, 2), meanF32(dst + 1, count, 2)};

  // A = dst_demean.T @ src_demean / num: float32 sgemm, which accumulates as a fused multiply-add chain.
  float a32[2][2];
  for (int i = 0; i < 2; ++i) {
    for (int j = 0; j < 2; ++j) {
      float acc = 0.0f;
      for (int k = 0; k < count; ++k) {
        const float dstDemean = dst[2 * k + i] - dstMean[i];
        const float srcDemean = src[2 * k + j] - srcMean[j];
        acc = std::fma(dstDemean, srcDemean, acc);
      }
      a32[i][j] = acc / static_cast<float>(count);
    }
  }
  const double A[2][2] = {{a32[0][0], a32[0][1]}, {a32[1][0], a32[1][1]}};

  // d = [1, -1] when det(A) < 0. The float32 entries' products are exact in double, so the sign is exact.
  const double d1 = det2(A) < 0 ? -1.0 : 1.0;

  const Svd2 svd = svd2(A[0][0], A[0][1], A[1][0], A[1][1]);
  double u[2][2], vt[2][2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) {
      u[i][j] = roundedToF32(svd.u[i][j]);
      vt[i][j] = roundedToF32(svd.vt[i][j]);
    }
  const float s0 = static_cast<float>(roundedToF32(svd.s[0])), s1 = static_cast<float>(roundedToF32(svd.s[1]));

  // numpy.linalg.matrix_rank: singular values above max(s) * max(M, N) * eps(float32), in float32.
  const float tolerance = (s0 * 2.0f) * FLT_EPSILON;
  const int rank = (s0 > tolerance) + (s1 > tolerance);
  if (rank == 0) return false;
  // Rank 2: U diag(1, d1) Vt. Rank 1: U Vt, or U diag(1, -1) Vt when det(U) det(Vt) <= 0 (a proper rotation).
  const double sign = rank == 2 ? d1 : (det2(u) * det2(vt) > 0 ? 1.0 : -1.0);
  double rotation[2][2];
  for (int i = 0; i < 2; ++i)
    for (int j = 0; j < 2; ++j) rotation[i][j] = u[i][0] * vt[0][j] + (u[i][1] * sign) * vt[1][j];

  // src_demean.var(axis=0).sum(), float32: each column's own mean, squared deviations, a mean of them.
  float variance = 0.0f;
  for (int j = 0; j < 2; ++j) {
    float columnSum = 0.0f;
    for (int k = 0; k < count; ++k) columnSum += src[2 * k + j] - srcMean[j];
    const float columnMean = columnSum / static_cast<float>(count);
    float squares = 0.0f;
    for (int k = 0; k < count; ++k) {
      const float deviation = (src[2 * k + j] - srcMean[j]) - columnMean;
      squares += deviation * deviation;
    }
    variance += squares / static_cast<float>(count);
  }
  // 1.0 / float32 scalar is a float64 division under NumPy 1.x's promotion rules; S @ d in float64.
  const double scale = (1.0 / static_cast<double>(variance)) * (static_cast<double>(s0) + static_cast<double>(s1) * d1);

  AffineMatrix result;
  for (int i = 0; i < 2; ++i) {
    // dst_mean - scale * (T @ src_mean): dgemv, one fused multiply-add per row.
    const double moved = std::fma(rotation[i][0], static_cast<double>(srcMean[0]),
                                  rotation[i][1] * static_cast<double>(srcMean[1]));
    result.m[3 * i + 0] = rotation[i][0] * scale;
    result.m[3 * i + 1] = rotation[i][1] * scale;
    result.m[3 * i + 2] = static_cast<double>(dstMean[i]) - scale * moved;
  }
  for (double v : result.m)
    if (!std::isfinite(v)) return false;
  if (!(result.m[0] * result.m[4] - result.m[1] * result.m[3] != 0)) return false;
  *out = result;
  return true;
}

}  // namespace retinaface
