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

// Reads pixel x of a row as R, G, B whatever the channel layout.
inline void readRgb(const uint8_t* row, int x, int channels, int rgb[3]) {
  const uint8_t* p = row + static_cast<size_t>(x) * channels;
  if (channels == 1) {
    rgb[0] = rgb[1] = rgb[2] = p[0];
  } else {
    rgb[0] = p[0];
    rgb[1] = p[1];
    rgb[2] = p[2];
  }
}

// Horizontal pass of one source row into 3 interleaved ints per destination pixel, scaled by kCoefScale.
void resizeRow(const PixelView& image, int sy, const std::vector<Tap>& xTaps, int* out) {
  const uint8_t* row = image.data + static_cast<size_t>(sy) * image.rowStride;
  const int last = image.width - 1;
  for (size_t dx = 0; dx < xTaps.size(); ++dx) {
    const Tap& t = xTaps[dx];
    int a[3], b[3];
    readRgb(row, t.index, image.channels, a);
    readRgb(row, t.index < last ? t.index + 1 : last, image.channels, b);
    for (int c = 0; c < 3; ++c) out[3 * dx + c] = a[c] * t.w0 + b[c] * t.w1;
  }
}

// Vertical blend, as OpenCV's SIMD path for 8-bit images computes it.
inline uint8_t blendRows(int top, int bottom, int16_t w0, int16_t w1) {
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

// Calls emit(dx, dy, r, g, b) for every pixel of the image resized to dstWidth x dstHeight.
template <typename Emit>
void forEachResizedPixel(const PixelView& image, int dstWidth, int dstHeight, Emit emit) {
  if (dstWidth == image.width && dstHeight == image.height) {
    int rgb[3];
    for (int y = 0; y < dstHeight; ++y) {
      const uint8_t* row = image.data + static_cast<size_t>(y) * image.rowStride;
      for (int x = 0; x < dstWidth; ++x) {
        readRgb(row, x, image.channels, rgb);
        emit(x, y, rgb[0], rgb[1], rgb[2]);
      }
    }
    return;
  }
  const std::vector<Tap> xTaps = makeTaps(image.width, dstWidth);
  const std::vector<Tap> yTaps = makeTaps(image.height, dstHeight);
  const size_t rowInts = static_cast<size_t>(dstWidth) * 3;
  std::vector<int> top(rowInts), bottom(rowInts);
  int topRow = -1, bottomRow = -1;
  const int lastRow = image.height - 1;
  for (int dy = 0; dy < dstHeight; ++dy) {
    const Tap& t = yTaps[dy];
    const int sy0 = t.index, sy1 = t.index < lastRow ? t.index + 1 : lastRow;
    // Consecutive destination rows mostly share source rows: reuse the horizontal passes already done.
    if (sy0 == bottomRow) {
      std::swap(top, bottom);
      std::swap(topRow, bottomRow);
    }
    if (sy0 != topRow) {
      resizeRow(image, sy0, xTaps, top.data());
      topRow = sy0;
    }
    if (sy1 != bottomRow) {
      resizeRow(image, sy1, xTaps, bottom.data());
      bottomRow = sy1;
    }
    for (int dx = 0; dx < dstWidth; ++dx) {
      const size_t i = 3 * static_cast<size_t>(dx);
      emit(dx, dy, blendRows(top[i], bottom[i], t.w0, t.w1), blendRows(top[i + 1], bottom[i + 1], t.w0, t.w1),
           blendRows(top[i + 2], bottom[i + 2], t.w0, t.w1));
    }
  }
}

}  // namespace

void resizeBilinearRgb(const PixelView& image, int dstWidth, int dstHeight, uint8_t* dstRgb) {
  validate(image);
  if (dstWidth <= 0 || dstHeight <= 0) throw std::invalid_argument("resize target must be positive");
  forEachResizedPixel(image, dstWidth, dstHeight, [&](int x, int y, int r, int g, int b) {
    uint8_t* p = dstRgb + (static_cast<size_t>(y) * dstWidth + x) * 3;
    p[0] = static_cast<uint8_t>(r);
    p[1] = static_cast<uint8_t>(g);
    p[2] = static_cast<uint8_t>(b);
  });
}

void letterboxToTensor(const PixelView& image, const Letterbox& letterbox, float* dst) {
  validate(image);
  if (image.width != letterbox.sourceWidth || image.height != letterbox.sourceHeight)
    throw std::invalid_argument("letterbox was computed for another image size");
  if (letterbox.resizedWidth > letterbox.inputWidth || letterbox.resizedHeight > letterbox.inputHeight ||
      letterbox.resizedWidth <= 0 || letterbox.resizedHeight <= 0)
    throw std::invalid_argument("resized image does not fit the network input");
  const size_t plane = static_cast<size_t>(letterbox.inputWidth) * letterbox.inputHeight;
  float* blue = dst;
  float* green = dst + plane;
  float* red = dst + 2 * plane;
  // Padding is the mean colour, i.e. exactly 0 after mean subtraction.
  std::fill(dst, dst + 3 * plane, 0.0f);
  forEachResizedPixel(image, letterbox.resizedWidth, letterbox.resizedHeight, [&](int x, int y, int r, int g, int b) {
    const size_t i = static_cast<size_t>(y) * letterbox.inputWidth + x;
    blue[i] = static_cast<float>(b) - kMeanBgr[0];
    green[i] = static_cast<float>(g) - kMeanBgr[1];
    red[i] = static_cast<float>(r) - kMeanBgr[2];
  });
}

}  // namespace retinaface
