#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "core/preprocess.h"
#include "core/preprocess_dispatch.h"
#include "harness.h"

using namespace retinaface;

TEST(preprocess_identity_is_bgr_minus_mean) {
  const std::vector<uint8_t> rgb = {10, 20, 30, 200, 210, 220};  // 2x1
  const PixelView view{rgb.data(), 2, 1, 3, 6};
  std::vector<float> out(6, -1.0f);
  letterboxToTensor(view, identityLetterbox(2, 1), out.data());
  // planes B, G, R
  CHECK_NEAR(out[0], 30 - 104, 0);
  CHECK_NEAR(out[1], 220 - 104, 0);
  CHECK_NEAR(out[2], 20 - 117, 0);
  CHECK_NEAR(out[4], 10 - 123, 0);
  CHECK_NEAR(out[5], 200 - 123, 0);
}

TEST(preprocess_gray_and_rgba) {
  const std::vector<uint8_t> gray = {50};
  std::vector<float> out(3);
  letterboxToTensor({gray.data(), 1, 1, 1, 1}, identityLetterbox(1, 1), out.data());
  CHECK_NEAR(out[0], 50 - 104, 0);
  CHECK_NEAR(out[1], 50 - 117, 0);
  CHECK_NEAR(out[2], 50 - 123, 0);
  const std::vector<uint8_t> rgba = {1, 2, 3, 255};
  letterboxToTensor({rgba.data(), 1, 1, 4, 4}, identityLetterbox(1, 1), out.data());
  CHECK_NEAR(out[0], 3 - 104, 0);
  CHECK_NEAR(out[2], 1 - 123, 0);
}

TEST(preprocess_pads_with_zero_after_mean) {
  const std::vector<uint8_t> rgb(4 * 2 * 3, 128);  // 4x2 -> 8x8 canvas: resized 8x4 at top-left
  std::vector<float> out(3 * 64, -1.0f);
  const Letterbox lb = computeLetterbox(4, 2, 8, 8);
  CHECK_EQ(lb.resizedHeight, 4);
  letterboxToTensor({rgb.data(), 4, 2, 3, 12}, lb, out.data());
  CHECK_NEAR(out[0], 128 - 104, 0);            // inside, constant image stays constant
  CHECK_NEAR(out[3 * 8 + 7], 128 - 104, 0);    // last inside row
  CHECK_NEAR(out[4 * 8], 0, 0);                // first padded row
  CHECK_NEAR(out[2 * 64 + 63], 0, 0);          // last element of the R plane
}

TEST(resize_matches_opencv_inter_linear) {
  // cv2.resize(np.array([[0,255]],uint8) (as RGB), (4,1), INTER_LINEAR) == [0, 64, 191, 255]
  const std::vector<uint8_t> rgb = {0, 0, 0, 255, 255, 255};
  std::vector<uint8_t> out(4 * 3);
  resizeBilinearRgb({rgb.data(), 2, 1, 3, 6}, 4, 1, out.data());
  CHECK_EQ(static_cast<int>(out[0]), 0);
  CHECK_EQ(static_cast<int>(out[3]), 64);
  CHECK_EQ(static_cast<int>(out[6]), 191);
  CHECK_EQ(static_cast<int>(out[9]), 255);
}

TEST(preprocess_rejects_bad_geometry) {
  const std::vector<uint8_t> rgb(12, 0);
  std::vector<float> out(3 * 16);
  CHECK_THROWS(letterboxToTensor({rgb.data(), 2, 2, 2, 4}, identityLetterbox(2, 2), out.data()));
  CHECK_THROWS(letterboxToTensor({rgb.data(), 2, 2, 3, 6}, identityLetterbox(3, 2), out.data()));
  CHECK_THROWS(letterboxToTensor({nullptr, 2, 2, 3, 6}, identityLetterbox(2, 2), out.data()));
}

namespace {

namespace pd = retinaface::preprocess_detail;

// An image with `stride` bytes per row, stored in a buffer that ends right after the last row's pixels (no slack),
// so that a kernel reading past a row's end is caught by ASan on the last row.
struct TestImage {
  int width, height, channels, stride;
  std::vector<uint8_t> bytes;
  PixelView view() const { return {bytes.data(), width, height, channels, stride}; }
  int at(int x, int y, int c) const {
    return bytes[static_cast<size_t>(y) * stride + static_cast<size_t>(x) * channels + c];
  }
};

struct Lcg {
  uint32_t state;
  uint32_t next() { return state = state * 1664525u + 1013904223u; }
  int below(int n) { return static_cast<int>((next() >> 8) % static_cast<uint32_t>(n)); }
};

TestImage randomImage(Lcg& rng, int width, int height, int channels, int rowPadding) {
  TestImage img{width, height, channels, width * channels + rowPadding, {}};
  img.bytes.resize(static_cast<size_t>(height - 1) * img.stride + static_cast<size_t>(width) * channels);
  // Mostly noise, with some saturated runs so that 0 and 255 (the clamp edges) occur often.
  for (auto& v : img.bytes) {
    const uint32_t r = rng.next() >> 24;
    v = static_cast<uint8_t>(r < 16 ? 0 : (r > 240 ? 255 : r));
  }
  return img;
}

// Test oracle: OpenCV INTER_LINEAR for one output value, written pixel by pixel with no tables or SIMD.
int naiveLinear(const TestImage& img, int dstW, int dstH, int dx, int dy, int c) {
  auto tap = [](int src, int dst, int d, int& index, int& w0, int& w1) {
    const double scale = 1.0 / (static_cast<double>(dst) / src);
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (s < 0) s = 0, f = 0.0f;
    if (s >= src - 1) s = src - 1, f = 0.0f;
    index = s;
    w0 = static_cast<int>(std::lrint((1.0f - f) * 2048));
    w1 = static_cast<int>(std::lrint(f * 2048));
  };
  int sx, ax0, ax1, sy, ay0, ay1;
  tap(img.width, dstW, dx, sx, ax0, ax1);
  tap(img.height, dstH, dy, sy, ay0, ay1);
  const int sx1 = std::min(sx + 1, img.width - 1), sy1 = std::min(sy + 1, img.height - 1);
  const int channel = img.channels == 1 ? 0 : c;
  auto at = [&](int x, int y) { return img.at(x, y, channel); };
  const int top = (at(sx, sy) * ax0 + at(sx1, sy) * ax1) >> 4;
  const int bottom = (at(sx, sy1) * ax0 + at(sx1, sy1) * ax1) >> 4;
  const int v = (((ay0 * top) >> 16) + ((ay1 * bottom) >> 16) + 2) >> 2;
  return std::clamp(v, 0, 255);
}

// Runs body once per instruction-set tier this machine supports, with that tier forced.
template <typename Body>
void forEachTier(Body body) {
  for (pd::Tier tier : {pd::Tier::Portable, pd::Tier::Ssse3, pd::Tier::Avx2}) {
    if (!pd::tierSupported(tier)) continue;
    pd::forceTier(tier);
    body(tier);
  }
  pd::resetTier();
}

// Compares letterboxToTensor with the oracle for every value of the canvas; returns the number of mismatches.
int letterboxMismatches(const TestImage& img, const Letterbox& lb, long& checked) {
  const size_t plane = static_cast<size_t>(lb.inputWidth) * lb.inputHeight;
  std::vector<float> out(3 * plane, -1000.0f);  // exact size: ASan catches writes past the tensor
  letterboxToTensor(img.view(), lb, out.data());
  int mismatches = 0;
  for (int y = 0; y < lb.inputHeight; ++y)
    for (int x = 0; x < lb.inputWidth; ++x)
      for (int c = 0; c < 3; ++c) {  // c: R, G, B
        const bool inside = x < lb.resizedWidth && y < lb.resizedHeight;
        const float expected = inside ? naiveLinear(img, lb.resizedWidth, lb.resizedHeight, x, y, c) - kMeanBgr[2 - c]
                                      : 0.0f;
        const float got = out[(2 - c) * plane + static_cast<size_t>(y) * lb.inputWidth + x];
        ++checked;
        if (got != expected && ++mismatches <= 3) CHECK_NEAR(got, expected, 0);
      }
  return mismatches;
}

// Random geometry: upscales, downscales by 1.1x to 8x, odd widths, 1/3/4 channels, padded and unpadded rows.
struct RandomCase {
  TestImage img;
  int dstWidth, dstHeight;
};

RandomCase randomCase(Lcg& rng, int round) {
  const int channels = std::array<int, 3>{1, 3, 4}[round % 3];
  const int dstWidth = 1 + rng.below(90), dstHeight = 1 + rng.below(70);
  // Per axis: a factor in [1/8 (upscale), 8], drawn so that both directions are common.
  auto sourceSize = [&](int dst) {
    const double factor = std::array<double, 8>{0.125, 0.5, 0.9, 1.1, 1.6, 2.0, 3.3, 8.0}[rng.below(8)] *
                          (0.9 + 0.2 * rng.below(1000) / 1000.0);
    return std::max(1, static_cast<int>(dst * factor) + rng.below(3));
  };
  const int width = sourceSize(dstWidth), height = sourceSize(dstHeight);
  const int padding = std::array<int, 4>{0, 0, 1, 13}[rng.below(4)];
  return {randomImage(rng, width, height, channels, padding), dstWidth, dstHeight};
}

}  // namespace

TEST(preprocess_matches_naive_oracle_on_random_images) {
  forEachTier([](pd::Tier) {
    Lcg rng{12345};
    int mismatches = 0;
    long checked = 0;
    for (int round = 0; round < 60; ++round) {
      const RandomCase rc = randomCase(rng, round);
      // Letterboxing scales both axes alike, so a canvas of other proportions leaves padding right or below.
      const int canvasW = std::max(rc.dstWidth, rc.dstHeight) + rng.below(3);
      const Letterbox lb = computeLetterbox(rc.img.width, rc.img.height, canvasW, canvasW + rng.below(20));
      mismatches += letterboxMismatches(rc.img, lb, checked);
    }
    CHECK_EQ(mismatches, 0);
    CHECK(checked > 300000);
  });
}

TEST(preprocess_identity_matches_oracle) {
  forEachTier([](pd::Tier) {
    Lcg rng{777};
    int mismatches = 0;
    long checked = 0;
    for (int round = 0; round < 12; ++round) {
      const int channels = std::array<int, 3>{1, 3, 4}[round % 3];
      const TestImage img = randomImage(rng, 1 + rng.below(70), 1 + rng.below(40), channels, rng.below(2) * 5);
      mismatches += letterboxMismatches(img, identityLetterbox(img.width, img.height), checked);
    }
    CHECK_EQ(mismatches, 0);
  });
}

TEST(resize_bilinear_rgb_matches_naive_oracle) {
  forEachTier([](pd::Tier) {
    Lcg rng{4242};
    int mismatches = 0;
    for (int round = 0; round < 60; ++round) {
      const RandomCase rc = randomCase(rng, round);
      std::vector<uint8_t> out(static_cast<size_t>(rc.dstWidth) * rc.dstHeight * 3);
      resizeBilinearRgb(rc.img.view(), rc.dstWidth, rc.dstHeight, out.data());
      for (int y = 0; y < rc.dstHeight; ++y)
        for (int x = 0; x < rc.dstWidth; ++x)
          for (int c = 0; c < 3; ++c) {
            const int expected = naiveLinear(rc.img, rc.dstWidth, rc.dstHeight, x, y, c);
            const int got = out[(static_cast<size_t>(y) * rc.dstWidth + x) * 3 + c];
            if (got != expected && ++mismatches <= 3) CHECK_EQ(got, expected);
          }
    }
    CHECK_EQ(mismatches, 0);
  });
}

// Every tier must produce the portable tier's bytes, on camera-sized images too (too large for the oracle).
TEST(preprocess_tiers_are_byte_identical) {
  struct Shape {
    int width, height, channels, padding, canvas;
  };
  const Shape shapes[] = {
      {1024, 768, 3, 0, 640},  {1024, 576, 3, 0, 640},  {1023, 767, 3, 0, 640},  {1280, 720, 4, 0, 640},
      {1920, 1080, 3, 7, 640}, {4000, 3000, 3, 0, 640}, {3001, 1999, 4, 4, 640}, {1024, 819, 1, 3, 640},
      {37, 23, 3, 0, 640},     {640, 480, 3, 0, 640},   {641, 479, 3, 0, 640},   {17, 5, 4, 1, 32},
      {5000, 40, 3, 0, 320},   {8, 2000, 3, 0, 96},
  };
  Lcg rng{99};
  int differing = 0;
  for (const Shape& shape : shapes) {
    const TestImage img = randomImage(rng, shape.width, shape.height, shape.channels, shape.padding);
    const Letterbox lb = computeLetterbox(img.width, img.height, shape.canvas, shape.canvas);
    const size_t values = 3 * static_cast<size_t>(shape.canvas) * shape.canvas;
    std::vector<float> reference;
    std::vector<uint8_t> referenceRgb;
    forEachTier([&](pd::Tier tier) {
      std::vector<float> out(values, -1000.0f);
      letterboxToTensor(img.view(), lb, out.data());
      std::vector<uint8_t> rgb(static_cast<size_t>(lb.resizedWidth) * lb.resizedHeight * 3);
      resizeBilinearRgb(img.view(), lb.resizedWidth, lb.resizedHeight, rgb.data());
      if (tier == pd::Tier::Portable) {
        reference = std::move(out);
        referenceRgb = std::move(rgb);
      } else if (std::memcmp(out.data(), reference.data(), values * sizeof(float)) != 0 || rgb != referenceRgb) {
        ++differing;
        std::printf("     %s differs from portable on %dx%dx%d\n", pd::tierName(tier), shape.width, shape.height,
                    shape.channels);
      }
    });
  }
  CHECK_EQ(differing, 0);
}

// Every start alignment of the output (typed arrays guarantee only 4 bytes for floats), and canvas widths that are
// not a multiple of the vector width, must give the portable tier's bytes, and no write may leave the tensor.
TEST(preprocess_output_alignment_does_not_change_values) {
  Lcg rng{2024};
  int differing = 0;
  for (const int canvas : {64, 67}) {
    const TestImage img = randomImage(rng, 150, 101, 3, 0);
    const Letterbox lb = computeLetterbox(img.width, img.height, canvas, canvas + 5);
    const size_t values = 3 * static_cast<size_t>(lb.inputWidth) * lb.inputHeight;
    std::vector<float> reference(values);
    pd::forceTier(pd::Tier::Portable);
    letterboxToTensor(img.view(), lb, reference.data());
    pd::resetTier();
    // 64-byte aligned storage, then outputs starting 0..7 floats into it.
    std::vector<float> storage(values + 16 + 16);
    float* base = storage.data() + (16 - (reinterpret_cast<uintptr_t>(storage.data()) % 64) / sizeof(float)) % 16;
    forEachTier([&](pd::Tier tier) {
      for (int offset = 0; offset < 8; ++offset) {
        std::fill(storage.begin(), storage.end(), -1000.0f);
        letterboxToTensor(img.view(), lb, base + offset);
        const bool same = std::memcmp(base + offset, reference.data(), values * sizeof(float)) == 0;
        const bool untouched = base[offset + values] == -1000.0f && (offset == 0 || base[offset - 1] == -1000.0f);
        if (!same || !untouched) {
          ++differing;
          std::printf("     %s: output at +%d floats, canvas %d: %s\n", pd::tierName(tier), offset, canvas,
                      same ? "wrote outside the tensor" : "values differ");
        }
      }
    });
  }
  CHECK_EQ(differing, 0);
}

TEST(preprocess_force_tier_rejects_unsupported) {
  std::printf("     tiers supported here:");
  for (pd::Tier tier : {pd::Tier::Portable, pd::Tier::Ssse3, pd::Tier::Avx2}) {
    if (pd::tierSupported(tier)) std::printf(" %s", pd::tierName(tier));
    else CHECK_THROWS(pd::forceTier(tier));
  }
  std::printf(" (default %s)\n", pd::tierName(pd::activeTier()));
  CHECK(pd::tierSupported(pd::Tier::Portable));
  pd::forceTier(pd::Tier::Portable);
  CHECK(pd::activeTier() == pd::Tier::Portable);
  pd::resetTier();
}
