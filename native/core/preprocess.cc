#include "preprocess.h"

#include <algorithm>
#include <cstring>
#include <cmath>
#include <stdexcept>
#include <vector>

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define RETINAFACE_SSE2 1
#else
#define RETINAFACE_SSE2 0
#endif

namespace retinaface {

namespace {

constexpr int kCoefBits = 11;  // OpenCV INTER_RESIZE_COEF_BITS
constexpr int kCoefScale = 1 << kCoefBits;

// Source index and the two fixed-point weights for one destination coordinate (OpenCV's resize tables).
struct Tap {
  int index;
  int16_t w0, w1;
};

std::vector<Tap> makeTaps(int srcSize, int dstSize) {
  const double invScale = static_cast<double>(dstSize) / srcSize;
  const double scale = 1.0 / invScale;
  std::vector<Tap> taps(static_cast<size_t>(dstSize));
  for (int d = 0; d < dstSize; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (s < 0) {
      s = 0;
      f = 0.0f;
    }
    if (s >= srcSize - 1) {
      s = srcSize - 1;
      f = 0.0f;
    }
    taps[d].index = s;
    taps[d].w0 = static_cast<int16_t>(std::lrint((1.0f - f) * kCoefScale));
    taps[d].w1 = static_cast<int16_t>(std::lrint(f * kCoefScale));
  }
  return taps;
}

// A horizontal tap resolved to byte offsets within a source row (neighbour clamped at the last pixel).
struct RowTap {
  int offset0, offset1;
  int w0, w1;
};

std::vector<RowTap> rowTaps(const std::vector<Tap>& taps, int srcWidth, int channels) {
  std::vector<RowTap> out(taps.size());
  for (size_t i = 0; i < taps.size(); ++i) {
    const int next = taps[i].index < srcWidth - 1 ? taps[i].index + 1 : srcWidth - 1;
    out[i] = {taps[i].index * channels, next * channels, taps[i].w0, taps[i].w1};
  }
  return out;
}

// Horizontal pass of one source row into three planar rows (R, G, B) of int16: the weighted sum (scaled by
// kCoefScale) shifted right by 4, which fits int16 and is what OpenCV's vertical pass consumes.
// Specialised per channel count so the inner loop has no layout branches.
template <int C>
void resizeRow(const uint8_t* row, int rowBytes, const std::vector<RowTap>& taps, int16_t* r, int16_t* g, int16_t* b) {
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
  for (; dx < n; ++dx) {
    const RowTap& t = taps[dx];
    const uint8_t* p = row + t.offset0;
    const uint8_t* q = row + t.offset1;
    if constexpr (C == 1) {
      r[dx] = g[dx] = b[dx] = static_cast<int16_t>((p[0] * t.w0 + q[0] * t.w1) >> 4);
    } else {
      r[dx] = static_cast<int16_t>((p[0] * t.w0 + q[0] * t.w1) >> 4);
      g[dx] = static_cast<int16_t>((p[1] * t.w0 + q[1] * t.w1) >> 4);
      b[dx] = static_cast<int16_t>((p[2] * t.w0 + q[2] * t.w1) >> 4);
    }
  }
}

// High half of a 16 x 16-bit product (SSE2's pmulhw; compilers vectorise this form).
inline int mulHigh(int16_t a, int16_t b) { return static_cast<int16_t>((static_cast<int32_t>(a) * b) >> 16); }

// Vertical blend of two horizontal passes, as OpenCV's SIMD path for 8-bit images computes it; emit(i, value).
template <typename Emit>
inline void blendRows(const int16_t* top, const int16_t* bottom, int16_t w0, int16_t w1, size_t n, Emit emit) {
  for (size_t i = 0; i < n; ++i) {
    const int v = (mulHigh(w0, top[i]) + mulHigh(w1, bottom[i]) + 2) >> 2;
    emit(i, v < 0 ? 0 : (v > 255 ? 255 : v));
  }
}

void validate(const PixelView& image) {
  if (!image.data || image.width <= 0 || image.height <= 0)
    throw std::invalid_argument("image has no pixels");
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw std::invalid_argument("image must have 1, 3 or 4 channels");
  if (image.rowStride < image.width * image.channels)
    throw std::invalid_argument("row stride is smaller than width * channels");
}

// Planar int16 rows of one channel set, as the horizontal pass writes them.
struct PlanarRows {
  std::vector<int16_t> data;
  size_t width = 0;
  void resize(size_t w) {
    width = w;
    data.resize(3 * w);
  }
  int16_t* channel(int c) { return data.data() + c * width; }
};

// Calls sink(dy, channel, value(i)) style work through `sinkRow(dy, blend)`: for every destination row, blend(c,
// emit) runs the vertical blend of channel c (0 = R, 1 = G, 2 = B) and calls emit(x, value) for each pixel.
template <int C, typename SinkRow>
void forEachResizedRow(const PixelView& image, int dstWidth, int dstHeight, SinkRow sinkRow) {
  const size_t width = static_cast<size_t>(dstWidth);
  if (dstWidth == image.width && dstHeight == image.height) {
    for (int y = 0; y < dstHeight; ++y) {
      const uint8_t* row = image.data + static_cast<size_t>(y) * image.rowStride;
      sinkRow(y, [&](int c, auto emit) {
        const int channel = C == 1 ? 0 : c;
        for (size_t x = 0; x < width; ++x) emit(x, static_cast<int>(row[x * C + channel]));
      });
    }
    return;
  }
  const std::vector<RowTap> xTaps = rowTaps(makeTaps(image.width, dstWidth), image.width, C);
  const std::vector<Tap> yTaps = makeTaps(image.height, dstHeight);
  PlanarRows top, bottom;
  top.resize(width);
  bottom.resize(width);
  int topRow = -1, bottomRow = -1;
  const int lastRow = image.height - 1;
  const int rowBytes = image.width * C;
  auto pass = [&](int y, PlanarRows& out) {
    resizeRow<C>(image.data + static_cast<size_t>(y) * image.rowStride, rowBytes, xTaps, out.channel(0), out.channel(1),
                 out.channel(2));
  };
  for (int dy = 0; dy < dstHeight; ++dy) {
    const Tap& t = yTaps[dy];
    const int sy0 = t.index, sy1 = t.index < lastRow ? t.index + 1 : lastRow;
    // Consecutive destination rows mostly share source rows: reuse the horizontal passes already done.
    if (sy0 == bottomRow) {
      std::swap(top, bottom);
      std::swap(topRow, bottomRow);
    }
    if (sy0 != topRow) {
      pass(sy0, top);
      topRow = sy0;
    }
    if (sy1 != bottomRow) {
      pass(sy1, bottom);
      bottomRow = sy1;
    }
    sinkRow(dy, [&](int c, auto emit) { blendRows(top.channel(c), bottom.channel(c), t.w0, t.w1, width, emit); });
  }
}

template <typename SinkRow>
void forEachResizedRow(const PixelView& image, int dstWidth, int dstHeight, SinkRow sinkRow) {
  switch (image.channels) {
    case 1: return forEachResizedRow<1>(image, dstWidth, dstHeight, sinkRow);
    case 3: return forEachResizedRow<3>(image, dstWidth, dstHeight, sinkRow);
    default: return forEachResizedRow<4>(image, dstWidth, dstHeight, sinkRow);
  }
}

}  // namespace

void resizeBilinearRgb(const PixelView& image, int dstWidth, int dstHeight, uint8_t* dstRgb) {
  validate(image);
  if (dstWidth <= 0 || dstHeight <= 0) throw std::invalid_argument("resize target must be positive");
  forEachResizedRow(image, dstWidth, dstHeight, [&](int y, auto blend) {
    uint8_t* row = dstRgb + static_cast<size_t>(y) * dstWidth * 3;
    for (int c = 0; c < 3; ++c) blend(c, [&](size_t x, int v) { row[3 * x + c] = static_cast<uint8_t>(v); });
  });
}

void letterboxToTensor(const PixelView& image, const Letterbox& letterbox, float* dst) {
  validate(image);
  if (image.width != letterbox.sourceWidth || image.height != letterbox.sourceHeight)
    throw std::invalid_argument("letterbox was computed for another image size");
  if (letterbox.resizedWidth > letterbox.inputWidth || letterbox.resizedHeight > letterbox.inputHeight ||
      letterbox.resizedWidth <= 0 || letterbox.resizedHeight <= 0)
    throw std::invalid_argument("resized image does not fit the network input");
  const size_t inW = static_cast<size_t>(letterbox.inputWidth);
  const size_t plane = inW * letterbox.inputHeight;
  const size_t resizedW = static_cast<size_t>(letterbox.resizedWidth);
  float* planes[3] = {dst, dst + plane, dst + 2 * plane};  // B, G, R
  forEachResizedRow(image, letterbox.resizedWidth, letterbox.resizedHeight, [&](int y, auto blend) {
    for (int c = 0; c < 3; ++c) {  // c: R, G, B; the tensor's planes are B, G, R
      float* plane = planes[2 - c] + y * inW;
      const float mean = kMeanBgr[2 - c];
      blend(c, [&](size_t x, int v) { plane[x] = static_cast<float>(v) - mean; });
      // Padding right of the image: the mean colour, i.e. exactly 0 after mean subtraction.
      std::fill(plane + resizedW, plane + inW, 0.0f);
    }
  });
  // Padding below the image.
  const size_t filled = static_cast<size_t>(letterbox.resizedHeight) * inW;
  for (float* p : planes) std::fill(p + filled, p + plane, 0.0f);
}

}  // namespace retinaface
