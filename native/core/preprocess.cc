// The public preprocessing functions and the choice of the instruction-set tier whose row kernels they run. The
// resize arithmetic lives in the tiers (preprocess_portable.cc, preprocess_x86.cc) and the per-image tables in
// preprocess_rows.cc; this file walks the rows, reusing horizontal passes, and lays out the tensor.
#include "preprocess.h"

#include <algorithm>
#include <atomic>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "preprocess_dispatch.h"
#include "preprocess_rows.h"

namespace retinaface {

namespace preprocess_detail {

namespace {

// ---- Dispatch ---------------------------------------------------------------------------------------------------

Tier bestTier() {
#if RETINAFACE_X86_TIERS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return Tier::Avx2;
  if (__builtin_cpu_supports("ssse3")) return Tier::Ssse3;
#endif
  return Tier::Portable;
}

Tier detectedTier() {
  static const Tier tier = bestTier();
  return tier;
}

constexpr int kNoForcedTier = -1;
std::atomic<int> forcedTier{kNoForcedTier};

const Kernels& kernelsFor(Tier tier) {
  switch (tier) {
#if RETINAFACE_X86_TIERS
    case Tier::Avx2: return kAvx2Kernels;
    case Tier::Ssse3: return kSsse3Kernels;
#endif
    default: return kPortableKernels;
  }
}

// ---- Driver -----------------------------------------------------------------------------------------------------

// What the vertical pass of one destination row blends: two horizontally resized source rows and their weights.
struct BlendInput {
  ResizedRow& top;
  ResizedRow& bottom;
  int16_t w0, w1;
};

// Runs the horizontal pass on the source rows each destination row needs and calls sinkRow(dy, BlendInput).
template <typename SinkRow>
void forEachResizedRow(const PixelView& image, int dstWidth, int dstHeight, const Kernels& kernels, SinkRow sinkRow) {
  const RowGeometry geometry = makeRowGeometry(image, dstWidth, kernels);
  const std::vector<Tap> yTaps = makeTaps(image.height, dstHeight);
  ChannelPlanes scratch(geometry.method == Method::Blocks ? image.width : 0, image.channels);
  ResizedRow top(geometry.dstWidth, image.channels), bottom(geometry.dstWidth, image.channels);
  int topRow = -1, bottomRow = -1;
  const int lastRow = image.height - 1;
  const size_t rowBytes = static_cast<size_t>(image.width) * image.channels;
  auto pass = [&](int y, ResizedRow& out) {
    // Source rows come from memory (each image is letterboxed once): ask for the next row while this one is resized.
    if (y + 1 < image.height) {
      const uint8_t* next = image.data + static_cast<size_t>(y + 1) * image.rowStride;
      for (size_t offset = 0; offset < rowBytes; offset += 64) __builtin_prefetch(next + offset, 0, 3);
    }
    kernels.horizontal(geometry, image.data + static_cast<size_t>(y) * image.rowStride, scratch, out);
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
    sinkRow(dy, BlendInput{top, bottom, t.w0, t.w1});
  }
}

void validate(const PixelView& image) {
  if (!image.data || image.width <= 0 || image.height <= 0) throw std::invalid_argument("image has no pixels");
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw std::invalid_argument("image must have 1, 3 or 4 channels");
  if (image.rowStride < image.width * image.channels)
    throw std::invalid_argument("row stride is smaller than width * channels");
}

}  // namespace

const char* tierName(Tier tier) {
  switch (tier) {
    case Tier::Portable: return "portable";
    case Tier::Ssse3: return "ssse3";
    case Tier::Avx2: return "avx2";
  }
  return "?";
}

bool tierSupported(Tier tier) {
  switch (tier) {
    case Tier::Portable: return true;
    case Tier::Ssse3: return detectedTier() == Tier::Ssse3 || detectedTier() == Tier::Avx2;
    case Tier::Avx2: return detectedTier() == Tier::Avx2;
  }
  return false;
}

Tier activeTier() {
  const int forced = forcedTier.load(std::memory_order_relaxed);
  return forced == kNoForcedTier ? detectedTier() : static_cast<Tier>(forced);
}

void forceTier(Tier tier) {
  if (!tierSupported(tier))
    throw std::invalid_argument(std::string("preprocess tier not supported here: ") + tierName(tier));
  forcedTier.store(static_cast<int>(tier), std::memory_order_relaxed);
}

void resetTier() { forcedTier.store(kNoForcedTier, std::memory_order_relaxed); }

}  // namespace preprocess_detail

void resizeBilinearRgb(const PixelView& image, int dstWidth, int dstHeight, uint8_t* dstRgb) {
  using namespace preprocess_detail;
  validate(image);
  if (dstWidth <= 0 || dstHeight <= 0) throw std::invalid_argument("resize target must be positive");
  const size_t width = static_cast<size_t>(dstWidth);
  if (dstWidth == image.width && dstHeight == image.height) {
    for (int y = 0; y < dstHeight; ++y) {
      const uint8_t* src = image.data + static_cast<size_t>(y) * image.rowStride;
      uint8_t* row = dstRgb + static_cast<size_t>(y) * width * 3;
      for (size_t x = 0; x < width; ++x)
        for (int c = 0; c < 3; ++c) row[3 * x + c] = src[x * image.channels + (image.channels == 1 ? 0 : c)];
    }
    return;
  }
  // The tier's horizontal pass, then the portable vertical one: this output serves tests, not the detector.
  const Kernels& kernels = kernelsFor(preprocess_detail::activeTier());
  forEachResizedRow(image, dstWidth, dstHeight, kernels, [&](int y, const BlendInput& in) {
    uint8_t* row = dstRgb + static_cast<size_t>(y) * width * 3;
    for (int c = 0; c < 3; ++c)
      blendRows(in.top.plane(c), in.bottom.plane(c), in.w0, in.w1, width,
                [&](size_t x, int v) { row[3 * x + c] = static_cast<uint8_t>(v); });
  });
}

void letterboxToTensor(const PixelView& image, const Letterbox& letterbox, float* dst) {
  using namespace preprocess_detail;
  validate(image);
  if (image.width != letterbox.sourceWidth || image.height != letterbox.sourceHeight)
    throw std::invalid_argument("letterbox was computed for another image size");
  if (letterbox.resizedWidth > letterbox.inputWidth || letterbox.resizedHeight > letterbox.inputHeight ||
      letterbox.resizedWidth <= 0 || letterbox.resizedHeight <= 0)
    throw std::invalid_argument("resized image does not fit the network input");
  const Kernels& kernels = kernelsFor(preprocess_detail::activeTier());
  const size_t inW = static_cast<size_t>(letterbox.inputWidth);
  const size_t plane = inW * letterbox.inputHeight;
  const size_t resizedW = static_cast<size_t>(letterbox.resizedWidth);
  float* planes[3] = {dst, dst + plane, dst + 2 * plane};  // B, G, R
  // Padding is the mean colour, i.e. exactly 0 after mean subtraction (all-zero bits).
  auto padRight = [&](float* row) { std::memset(row + resizedW, 0, (inW - resizedW) * sizeof(float)); };
  // c: R, G, B; the tensor's planes are B, G, R.
  auto outputRow = [&](int c, int y) { return planes[2 - c] + static_cast<size_t>(y) * inW; };

  if (letterbox.resizedWidth == image.width && letterbox.resizedHeight == image.height) {
    ChannelPlanes split(image.width, image.channels);
    for (int y = 0; y < letterbox.resizedHeight; ++y) {
      kernels.splitChannels(image.data + static_cast<size_t>(y) * image.rowStride, image.channels, image.width, split);
      for (int c = 0; c < 3; ++c) {
        float* row = outputRow(c, y);
        kernels.toFloat(split.channel(c), resizedW, kMeanBgr[2 - c], row);
        padRight(row);
      }
    }
  } else {
    forEachResizedRow(image, letterbox.resizedWidth, letterbox.resizedHeight, kernels,
                      [&](int y, const BlendInput& in) {
      for (int c = 0; c < 3; ++c) {
        float* row = outputRow(c, y);
        kernels.blendToFloat(in.top.plane(c), in.bottom.plane(c), in.w0, in.w1, resizedW, kMeanBgr[2 - c], row);
        padRight(row);
      }
    });
  }
  // Padding below the image.
  const size_t filled = static_cast<size_t>(letterbox.resizedHeight) * inW;
  for (float* p : planes) std::memset(p + filled, 0, (plane - filled) * sizeof(float));
}

}  // namespace retinaface
