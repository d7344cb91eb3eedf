// libFuzzer target: the CPU letterbox (native/core/letterbox.h, preprocess.h) with hostile geometry.
//
// Within the N-API bounds (native/napi/preprocess_call.cc: sides 1..65536, 1/3/4 channels, data >= stride * height,
// canvas sides 1..65536) every call must succeed, write only its own tensor, leave the padding at exactly 0, keep the
// values inside the uint8-minus-mean range, and give the same bytes on every instruction-set tier. Just outside them
// (2 channels, a short stride, a letterbox for another size or one that does not fit, no pixels) the core must throw
// std::invalid_argument and write nothing. Buffers are sized exactly, so any over-read or over-write is ASan's.
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/letterbox.h"
#include "core/preprocess.h"
#include "core/preprocess_dispatch.h"

using namespace retinaface;
namespace pd = retinaface::preprocess_detail;

namespace {

constexpr int kMaxSide = 1 << 16;              // the N-API layer's limit on every side
constexpr size_t kMaxSourceBytes = 1 << 17;    // keep each input fast: hostile shapes, not hostile sizes
constexpr size_t kMaxCanvasPixels = 1 << 16;

[[noreturn]] void fail(const char* what, const Letterbox& box, int channels, int stride) {
  std::fprintf(stderr, "letterbox_fuzz: %s (source %dx%d c%d stride %d, canvas %dx%d, resized %dx%d, scale %.17g)\n",
               what, box.sourceWidth, box.sourceHeight, channels, stride, box.inputWidth, box.inputHeight,
               box.resizedWidth, box.resizedHeight, box.scale);
  std::abort();
}

// A side in [1, limit], biased towards the extremes where arithmetic breaks first.
int side(FuzzedDataProvider& in, int limit) {
  if (limit <= 1) return 1;
  switch (in.ConsumeIntegralInRange(0, 3)) {
    case 0: return in.ConsumeIntegralInRange(1, std::min(limit, 8));
    case 1: return std::max(1, limit - in.ConsumeIntegralInRange(0, std::min(limit - 1, 8)));
    default: return in.ConsumeIntegralInRange(1, limit);
  }
}

std::vector<uint8_t> pixels(FuzzedDataProvider& in, size_t size) {
  std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(std::min(in.remaining_bytes(), size));
  const size_t given = bytes.size();
  bytes.resize(size);
  // Repeat what the input gave (or a ramp) so that large images still carry fuzzed content.
  for (size_t i = given; i < size; ++i) bytes[i] = given ? bytes[i % given] : static_cast<uint8_t>(i * 37);
  return bytes;
}

void checkTensor(const std::vector<float>& out, const Letterbox& box, int channels, int stride) {
  const size_t plane = static_cast<size_t>(box.inputWidth) * box.inputHeight;
  for (size_t c = 0; c < 3; ++c) {
    for (int y = 0; y < box.inputHeight; ++y) {
      for (int x = 0; x < box.inputWidth; ++x) {
        const float v = out[c * plane + static_cast<size_t>(y) * box.inputWidth + x];
        const bool inside = x < box.resizedWidth && y < box.resizedHeight;
        if (!inside && v != 0.0f) fail("padding is not 0", box, channels, stride);
        if (!(v >= -kMeanBgr[c] && v <= 255.0f - kMeanBgr[c]))
          fail("value outside uint8 - mean", box, channels, stride);
      }
    }
  }
}

// Within bounds: must succeed, identically on every tier.
void fuzzValid(FuzzedDataProvider& in) {
  const int channels = in.PickValueInArray({1, 3, 4});
  const bool original = in.ConsumeBool();
  const int width = side(in, kMaxSide);
  const int height = side(
      in, static_cast<int>(std::min<size_t>(kMaxSide, kMaxSourceBytes / (static_cast<size_t>(width) * channels))));
  // The N-API layer passes stride == width * channels; the core also takes padded rows.
  const int stride = width * channels + (in.ConsumeBool() ? in.ConsumeIntegralInRange(0, 64) : 0);
  int canvasWidth = width, canvasHeight = height;
  if (!original) {
    canvasWidth = side(in, kMaxSide);
    canvasHeight = side(in, static_cast<int>(std::min<size_t>(kMaxSide, kMaxCanvasPixels / canvasWidth)));
  } else if (static_cast<size_t>(width) * height > kMaxCanvasPixels) {
    return;
  }
  const Letterbox box = original ? identityLetterbox(width, height)
                                 : computeLetterbox(width, height, canvasWidth, canvasHeight);
  if (box.sourceWidth != width || box.sourceHeight != height || box.inputWidth != canvasWidth ||
      box.inputHeight != canvasHeight || box.resizedWidth < 1 || box.resizedHeight < 1 ||
      box.resizedWidth > canvasWidth || box.resizedHeight > canvasHeight || !(box.scale > 0) ||
      !std::isfinite(box.scale))
    fail("computeLetterbox gave an inconsistent geometry", box, channels, stride);
  if (original && (box.resizedWidth != width || box.resizedHeight != height))
    fail("identity letterbox resizes", box, channels, stride);

  // Exactly the bytes the last row needs: a kernel reading past a row's end trips ASan there.
  const size_t sourceBytes = static_cast<size_t>(stride) * (height - 1) + static_cast<size_t>(width) * channels;
  const std::vector<uint8_t> source = pixels(in, sourceBytes);
  const PixelView view{source.data(), width, height, channels, stride};
  const size_t floats = static_cast<size_t>(3) * canvasWidth * canvasHeight;

  std::vector<float> reference;
  for (pd::Tier tier : {pd::Tier::Portable, pd::Tier::Ssse3, pd::Tier::Avx2}) {
    if (!pd::tierSupported(tier)) continue;
    pd::forceTier(tier);
    std::vector<float> out(floats, -1.0f);
    letterboxToTensor(view, box, out.data());
    if (reference.empty()) {
      checkTensor(out, box, channels, stride);
      reference = std::move(out);
    } else if (std::memcmp(reference.data(), out.data(), floats * sizeof(float)) != 0) {
      fail(pd::tierName(tier), box, channels, stride);
    }
  }
  pd::resetTier();

  // The test-only RGB resize shares the horizontal pass; run it on the same geometry.
  std::vector<uint8_t> rgb(static_cast<size_t>(3) * box.resizedWidth * box.resizedHeight);
  resizeBilinearRgb(view, box.resizedWidth, box.resizedHeight, rgb.data());
}

// Just outside the bounds the core itself checks: must throw std::invalid_argument and write nothing.
void fuzzInvalid(FuzzedDataProvider& in) {
  int width = in.ConsumeIntegralInRange(1, 64), height = in.ConsumeIntegralInRange(1, 64);
  int channels = in.PickValueInArray({1, 3, 4});
  int stride = width * channels;
  Letterbox box = computeLetterbox(width, height, in.ConsumeIntegralInRange(1, 64), in.ConsumeIntegralInRange(1, 64));
  std::vector<uint8_t> source(static_cast<size_t>(stride) * height, 7);
  const uint8_t* data = source.data();
  switch (in.ConsumeIntegralInRange(0, 8)) {
    case 0: channels = in.PickValueInArray({0, 2, 5, -1, 255}); break;
    case 1: stride = in.ConsumeIntegralInRange(-4, width * channels - 1); break;
    case 2: data = nullptr; break;
    case 3: box.sourceWidth += in.ConsumeBool() ? 1 : -1; break;
    case 4: box.sourceHeight += in.ConsumeBool() ? 1 : -1; break;
    case 5: box.resizedWidth = box.inputWidth + in.ConsumeIntegralInRange(1, 8); break;
    case 6: box.resizedHeight = box.inputHeight + in.ConsumeIntegralInRange(1, 8); break;
    case 7: (in.ConsumeBool() ? box.resizedWidth : box.resizedHeight) = -in.ConsumeIntegralInRange(0, 8); break;
    default: width = -in.ConsumeIntegralInRange(0, 8); break;
  }
  const size_t floats = static_cast<size_t>(3) * box.inputWidth * box.inputHeight;
  std::vector<float> out(floats, -1.0f);
  const PixelView view{data, width, height, channels, stride};
  bool threw = false;
  try {
    letterboxToTensor(view, box, out.data());
  } catch (const std::invalid_argument&) {
    threw = true;
  }
  if (!threw) fail("inconsistent geometry accepted", box, channels, stride);
  for (float v : out)
    if (v != -1.0f) fail("rejected call wrote to its output", box, channels, stride);
}

// Geometry alone just past the N-API limit (sides up to 2^17): still consistent, no integer overflow.
void fuzzLargeGeometry(FuzzedDataProvider& in) {
  const int limit = 2 * kMaxSide;
  const int w = side(in, limit), h = side(in, limit), cw = side(in, limit), ch = side(in, limit);
  const Letterbox box = computeLetterbox(w, h, cw, ch);
  if (box.resizedWidth < 1 || box.resizedHeight < 1 || box.resizedWidth > cw || box.resizedHeight > ch ||
      !(box.scale > 0) || !std::isfinite(box.scale))
    fail("computeLetterbox gave an inconsistent geometry", box, 0, 0);
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0: fuzzInvalid(in); break;
    case 1: fuzzLargeGeometry(in); break;
    default: fuzzValid(in); break;
  }
  return 0;
}
