// The portable tier: plain C++ row kernels (plus SSE2 where the compiler targets it), the only tier off x86. The
// SIMD tiers finish their rows with these, so every tier's output is byte-identical to this one.
#include <cstring>

#include "preprocess_rows.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define RETINAFACE_SSE2 1
#else
#define RETINAFACE_SSE2 0
#endif

namespace retinaface::preprocess_detail {

namespace {

// Horizontal pass of one source row into planar rows (R, G, B) of int16: the weighted sum (scaled by kResizeCoefScale)
// shifted right by 4, which fits int16 and is what OpenCV's vertical pass consumes. Specialised per channel count
// so the inner loop has no layout branches; a gray image writes r only.
template <int C>
void resizeRow(const uint8_t* row, [[maybe_unused]] int rowBytes, const std::vector<RowTap>& taps, int16_t* r,
               int16_t* g, int16_t* b) {
  const size_t n = taps.size();
  size_t dx = 0;
#if RETINAFACE_SSE2
  if constexpr (C >= 3) {
    // One pixel at a time, all channels at once: interleave the two neighbours' bytes as 16-bit pairs and
    // multiply-add them with (w0, w1) pairs (pmaddwd). Reads 4 bytes per neighbour, so stop where that would pass
    // the end of the row.
    const __m128i zero = _mm_setzero_si128();
    for (; dx < n && taps[dx].offset1 + 4 <= rowBytes; ++dx) {
      const RowTap& t = taps[dx];
      int32_t pa, pb;
      std::memcpy(&pa, row + t.offset0, 4);
      std::memcpy(&pb, row + t.offset1, 4);
      const __m128i pairs = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(pa), zero),
                                               _mm_unpacklo_epi8(_mm_cvtsi32_si128(pb), zero));
      const __m128i weights = _mm_set1_epi32((static_cast<int32_t>(t.w1) << 16) | static_cast<uint16_t>(t.w0));
      const __m128i sums = _mm_srai_epi32(_mm_madd_epi16(pairs, weights), 4);
      const __m128i packed = _mm_packs_epi32(sums, sums);
      r[dx] = static_cast<int16_t>(_mm_extract_epi16(packed, 0));
      g[dx] = static_cast<int16_t>(_mm_extract_epi16(packed, 1));
      b[dx] = static_cast<int16_t>(_mm_extract_epi16(packed, 2));
    }
  }
#endif
  resizeTapsScalar<C>(row, taps.data(), dx, n, r, g, b);
}

void horizontalPortable(const RowGeometry& geometry, const uint8_t* row, ChannelPlanes&, ResizedRow& out) {
  const int rowBytes = geometry.srcWidth * geometry.channels;
  int16_t *r = out.plane(0), *g = out.plane(1), *b = out.plane(2);
  switch (geometry.channels) {
    case 1: return resizeRow<1>(row, rowBytes, geometry.taps, r, g, b);
    case 3: return resizeRow<3>(row, rowBytes, geometry.taps, r, g, b);
    default: return resizeRow<4>(row, rowBytes, geometry.taps, r, g, b);
  }
}

void splitChannelsPortable(const uint8_t* row, int channels, int width, ChannelPlanes& planes) {
  splitChannelsFrom(row, channels, 0, width, planes);
}

}  // namespace

void blendToFloatPortable(const int16_t* top, const int16_t* bottom, int16_t w0, int16_t w1, size_t n, float mean,
                          float* out) {
  blendRows(top, bottom, w0, w1, n, [&](size_t x, int v) { out[x] = static_cast<float>(v) - mean; });
}

void splitChannelsFrom(const uint8_t* row, int channels, int from, int width, ChannelPlanes& planes) {
  if (channels == 1) {
    std::memcpy(planes.plane(0) + from, row + from, static_cast<size_t>(width - from));
    return;
  }
  uint8_t *r = planes.plane(0), *g = planes.plane(1), *b = planes.plane(2);
  for (int x = from; x < width; ++x) {
    const uint8_t* p = row + static_cast<size_t>(x) * channels;
    r[x] = p[0];
    g[x] = p[1];
    b[x] = p[2];
  }
}

void toFloatPortable(const uint8_t* src, size_t n, float mean, float* out) {
  for (size_t x = 0; x < n; ++x) out[x] = static_cast<float>(src[x]) - mean;
}

const Kernels kPortableKernels{false, horizontalPortable, blendToFloatPortable, splitChannelsPortable, toFloatPortable};

}  // namespace retinaface::preprocess_detail
