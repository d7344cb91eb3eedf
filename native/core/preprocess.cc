#include "preprocess.h"

#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <vector>

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

// Horizontal pass of one source row into 3 interleaved ints (R, G, B) per destination pixel, scaled by kCoefScale.
// Specialised per channel count so the inner loop has no layout branches.
template <int C>
void resizeRow(const uint8_t* row, const std::vector<RowTap>& taps, int* out) {
  const size_t n = taps.size();
  for (size_t dx = 0; dx < n; ++dx) {
    const RowTap& t = taps[dx];
    const uint8_t* a = row + t.offset0;
    const uint8_t* b = row + t.offset1;
    if constexpr (C == 1) {
      const int v = a[0] * t.w0 + b[0] * t.w1;
      out[3 * dx] = out[3 * dx + 1] = out[3 * dx + 2] = v;
    } else {
      out[3 * dx] = a[0] * t.w0 + b[0] * t.w1;
      out[3 * dx + 1] = a[1] * t.w0 + b[1] * t.w1;
      out[3 * dx + 2] = a[2] * t.w0 + b[2] * t.w1;
    }
  }
}

// Vertical blend, as OpenCV's SIMD path for 8-bit images computes it.
inline uint8_t blendRows(int top, int bottom, int w0, int w1) {
  const int v = (((w0 * (top >> 4)) >> 16) + ((w1 * (bottom >> 4)) >> 16) + 2) >> 2;
  return static_cast<uint8_t>(v < 0 ? 0 : (v > 255 ? 255 : v));
}

void validate(const PixelView& image) {
  if (!image.data || image.width <= 0 || image.height <= 0)
    throw std::invalid_argument("image has no pixels");
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw std::invalid_argument("image must have 1, 3 or 4 channels");
  if (image.rowStride < image.width * image.channels)
    throw std::invalid_argument("row stride is smaller than width * channels");
}

// Copies one source row to interleaved RGB (no resize).
template <int C>
void copyRow(const uint8_t* row, int width, uint8_t* rgb) {
  for (int x = 0; x < width; ++x) {
    const uint8_t* p = row + static_cast<size_t>(x) * C;
    rgb[3 * x] = p[0];
    rgb[3 * x + 1] = p[C == 1 ? 0 : 1];
    rgb[3 * x + 2] = p[C == 1 ? 0 : 2];
  }
}

// Calls sink(dy, rgbRow) for every row of the image resized to dstWidth x dstHeight, rgbRow being dstWidth
// interleaved R, G, B bytes.
template <int C, typename Sink>
void forEachResizedRow(const PixelView& image, int dstWidth, int dstHeight, Sink sink) {
  std::vector<uint8_t> rgb(static_cast<size_t>(dstWidth) * 3);
  if (dstWidth == image.width && dstHeight == image.height) {
    for (int y = 0; y < dstHeight; ++y) {
      copyRow<C>(image.data + static_cast<size_t>(y) * image.rowStride, dstWidth, rgb.data());
      sink(y, rgb.data());
    }
    return;
  }
  const std::vector<RowTap> xTaps = rowTaps(makeTaps(image.width, dstWidth), image.width, C);
  const std::vector<Tap> yTaps = makeTaps(image.height, dstHeight);
  const size_t rowInts = static_cast<size_t>(dstWidth) * 3;
  std::vector<int> top(rowInts), bottom(rowInts);
  int topRow = -1, bottomRow = -1;
  const int lastRow = image.height - 1;
  auto sourceRow = [&](int y) { return image.data + static_cast<size_t>(y) * image.rowStride; };
  for (int dy = 0; dy < dstHeight; ++dy) {
    const Tap& t = yTaps[dy];
    const int sy0 = t.index, sy1 = t.index < lastRow ? t.index + 1 : lastRow;
    // Consecutive destination rows mostly share source rows: reuse the horizontal passes already done.
    if (sy0 == bottomRow) {
      std::swap(top, bottom);
      std::swap(topRow, bottomRow);
    }
    if (sy0 != topRow) {
      resizeRow<C>(sourceRow(sy0), xTaps, top.data());
      topRow = sy0;
    }
    if (sy1 != bottomRow) {
      resizeRow<C>(sourceRow(sy1), xTaps, bottom.data());
      bottomRow = sy1;
    }
    const int w0 = t.w0, w1 = t.w1;
    for (size_t i = 0; i < rowInts; ++i) rgb[i] = blendRows(top[i], bottom[i], w0, w1);
    sink(dy, rgb.data());
  }
}

template <typename Sink>
void forEachResizedRow(const PixelView& image, int dstWidth, int dstHeight, Sink sink) {
  switch (image.channels) {
    case 1: return forEachResizedRow<1>(image, dstWidth, dstHeight, sink);
    case 3: return forEachResizedRow<3>(image, dstWidth, dstHeight, sink);
    default: return forEachResizedRow<4>(image, dstWidth, dstHeight, sink);
  }
}

}  // namespace

void resizeBilinearRgb(const PixelView& image, int dstWidth, int dstHeight, uint8_t* dstRgb) {
  validate(image);
  if (dstWidth <= 0 || dstHeight <= 0) throw std::invalid_argument("resize target must be positive");
  const size_t rowBytes = static_cast<size_t>(dstWidth) * 3;
  forEachResizedRow(image, dstWidth, dstHeight,
                    [&](int y, const uint8_t* rgb) { std::copy(rgb, rgb + rowBytes, dstRgb + y * rowBytes); });
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
  forEachResizedRow(image, letterbox.resizedWidth, letterbox.resizedHeight, [&](int y, const uint8_t* rgb) {
    float* b = planes[0] + y * inW;
    float* g = planes[1] + y * inW;
    float* r = planes[2] + y * inW;
    for (size_t x = 0; x < resizedW; ++x) {
      b[x] = static_cast<float>(rgb[3 * x + 2]) - kMeanBgr[0];
      g[x] = static_cast<float>(rgb[3 * x + 1]) - kMeanBgr[1];
      r[x] = static_cast<float>(rgb[3 * x]) - kMeanBgr[2];
    }
    // Padding right of the image: the mean colour, i.e. exactly 0 after mean subtraction.
    for (float* p : {b, g, r}) std::fill(p + resizedW, p + inW, 0.0f);
  });
  // Padding below the image.
  const size_t filled = static_cast<size_t>(letterbox.resizedHeight) * inW;
  for (float* p : planes) std::fill(p + filled, p + plane, 0.0f);
}

}  // namespace retinaface
