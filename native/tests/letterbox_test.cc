#include "core/letterbox.h"
#include "harness.h"

using namespace retinaface;

TEST(letterbox_landscape_fits_width) {
  const Letterbox lb = computeLetterbox(1024, 768, 640, 640);
  CHECK_NEAR(lb.scale, 0.625, 1e-12);
  CHECK_EQ(lb.resizedWidth, 640);
  CHECK_EQ(lb.resizedHeight, 480);
}

TEST(letterbox_portrait_and_upscale) {
  const Letterbox lb = computeLetterbox(320, 480, 640, 640);
  CHECK_NEAR(lb.scale, 640.0 / 480, 1e-12);
  CHECK_EQ(lb.resizedHeight, 640);
  CHECK_EQ(lb.resizedWidth, 427);  // 426.67
}

TEST(letterbox_rounds_half_to_even) {
  // 640 * 5 / 64 = 50 exactly; 640 * 101 / 256 = 252.5 -> 252 (Python round), 640 * 103 / 256 = 257.5 -> 258.
  CHECK_EQ(computeLetterbox(256, 101, 640, 640).resizedHeight, 252);
  CHECK_EQ(computeLetterbox(256, 103, 640, 640).resizedHeight, 258);
}

TEST(letterbox_rectangular_canvas) {
  const Letterbox lb = computeLetterbox(1000, 1000, 640, 480);
  CHECK_NEAR(lb.scale, 0.48, 1e-12);
  CHECK_EQ(lb.resizedWidth, 480);
  CHECK_EQ(lb.resizedHeight, 480);
}

TEST(letterbox_tiny_image_never_zero) {
  const Letterbox lb = computeLetterbox(4000, 1, 640, 640);
  CHECK_EQ(lb.resizedWidth, 640);
  CHECK_EQ(lb.resizedHeight, 1);
}

TEST(letterbox_identity) {
  const Letterbox lb = identityLetterbox(517, 389);
  CHECK_NEAR(lb.scale, 1.0, 0);
  CHECK_EQ(lb.inputWidth, 517);
  CHECK_EQ(lb.resizedHeight, 389);
}
