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
