#include <algorithm>
#include <array>
#include <cmath>
#include <cstdint>
#include <vector>

#include "core/preprocess.h"
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

// Test oracle: OpenCV INTER_LINEAR for one output value, written pixel by pixel with no tables or SIMD.
int naiveLinear(const std::vector<uint8_t>& img, int w, int h, int ch, int dstW, int dstH, int dx, int dy, int c) {
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
  tap(w, dstW, dx, sx, ax0, ax1);
  tap(h, dstH, dy, sy, ay0, ay1);
  const int sx1 = std::min(sx + 1, w - 1), sy1 = std::min(sy + 1, h - 1);
  const int channel = ch == 1 ? 0 : c;
  auto at = [&](int x, int y) { return static_cast<int>(img[(static_cast<size_t>(y) * w + x) * ch + channel]); };
  const int top = (at(sx, sy) * ax0 + at(sx1, sy) * ax1) >> 4;
  const int bottom = (at(sx, sy1) * ax0 + at(sx1, sy1) * ax1) >> 4;
  const int v = (((ay0 * top) >> 16) + ((ay1 * bottom) >> 16) + 2) >> 2;
  return std::clamp(v, 0, 255);
}

}  // namespace

TEST(preprocess_matches_naive_oracle_on_random_images) {
  uint32_t seed = 12345;
  auto next = [&]() { return seed = seed * 1664525u + 1013904223u; };
  int mismatches = 0, checked = 0;
  for (int round = 0; round < 24; ++round) {
    const int ch = std::array<int, 3>{1, 3, 4}[round % 3];
    const int w = 1 + static_cast<int>(next() % 97), h = 1 + static_cast<int>(next() % 83);
    const int canvas = 8 + static_cast<int>(next() % 70);
    std::vector<uint8_t> img(static_cast<size_t>(w) * h * ch);
    for (auto& v : img) v = static_cast<uint8_t>(next() >> 24);
    const Letterbox lb = computeLetterbox(w, h, canvas, canvas);
    std::vector<float> out(3 * static_cast<size_t>(canvas) * canvas, -1000.0f);
    letterboxToTensor({img.data(), w, h, ch, w * ch}, lb, out.data());
    const size_t plane = static_cast<size_t>(canvas) * canvas;
    for (int y = 0; y < canvas; ++y) {
      for (int x = 0; x < canvas; ++x) {
        for (int c = 0; c < 3; ++c) {  // c: R, G, B
          const bool inside = x < lb.resizedWidth && y < lb.resizedHeight;
          const float expected = inside ? naiveLinear(img, w, h, ch, lb.resizedWidth, lb.resizedHeight, x, y, c) - kMeanBgr[2 - c] : 0.0f;
          const float got = out[(2 - c) * plane + static_cast<size_t>(y) * canvas + x];
          ++checked;
          if (got != expected && ++mismatches <= 3) CHECK_NEAR(got, expected, 0);
        }
      }
    }
  }
  CHECK_EQ(mismatches, 0);
  CHECK(checked > 100000);
}
