#include <cmath>
#include <vector>

#include "core/decode.h"
#include "core/postprocess.h"
#include "harness.h"

using namespace retinaface;

namespace {

// Raw outputs for `count` priors, all zero offsets and a given face score.
struct Raw {
  std::vector<float> loc, conf, landms;
  explicit Raw(size_t count, float score = 0.0f) : loc(count * 4, 0.0f), conf(count * 2), landms(count * 10, 0.0f) {
    for (size_t i = 0; i < count; ++i) setScore(i, score);
  }
  void setScore(size_t i, float score) {
    conf[2 * i] = 1.0f - score;
    conf[2 * i + 1] = score;
  }
  RawOutputs view() const { return {loc.data(), conf.data(), landms.data()}; }
};

}  // namespace

TEST(decode_zero_offsets_give_the_prior_box) {
  const std::vector<Prior> priors = {{0.5f, 0.25f, 0.1f, 0.2f}};
  Raw raw(1, 0.9f);
  std::vector<Face> out;
  decodeFaces(raw.view(), priors, identityLetterbox(200, 100), 0.5f, out);
  CHECK_EQ(out.size(), static_cast<size_t>(1));
  CHECK_NEAR(out[0].x1, 90.0, 1e-4);   // (0.5 - 0.05) * 200
  CHECK_NEAR(out[0].y1, 15.0, 1e-4);   // (0.25 - 0.1) * 100
  CHECK_NEAR(out[0].x2, 110.0, 1e-4);
  CHECK_NEAR(out[0].y2, 35.0, 1e-4);
  CHECK_NEAR(out[0].score, 0.9, 1e-7);
  for (int k = 0; k < 5; ++k) {
    CHECK_NEAR(out[0].landmarks[2 * k], 100.0, 1e-4);
    CHECK_NEAR(out[0].landmarks[2 * k + 1], 25.0, 1e-4);
  }
}

TEST(decode_applies_variances_and_letterbox_scale) {
  const std::vector<Prior> priors = {{0.5f, 0.5f, 0.1f, 0.1f}};
  Raw raw(1, 0.9f);
  raw.loc = {1.0f, -1.0f, std::log(2.0f) / 0.2f, 0.0f};  // shift +0.1w, -0.1h; width x2
  raw.landms[0] = 10.0f;                               // landmark 0 x: +1 * w
  Letterbox lb = computeLetterbox(1280, 1280, 640, 640);  // scale 0.5: outputs double
  std::vector<Face> out;
  decodeFaces(raw.view(), priors, lb, 0.5f, out);
  const double cx = (0.5 + 0.1 * 0.1) * 640 / 0.5, cy = (0.5 - 0.1 * 0.1) * 640 / 0.5;
  const double w = 0.2 * 640 / 0.5, h = 0.1 * 640 / 0.5;
  CHECK_NEAR(out[0].x1, cx - w / 2, 1e-3);
  CHECK_NEAR(out[0].x2, cx + w / 2, 1e-3);
  CHECK_NEAR(out[0].y1, cy - h / 2, 1e-3);
  CHECK_NEAR(out[0].y2, cy + h / 2, 1e-3);
  CHECK_NEAR(out[0].landmarks[0], (0.5 + 10 * 0.1 * 0.1) * 1280, 1e-3);
}

TEST(decode_threshold_is_strict_and_drops_nan) {
  const std::vector<Prior> priors(3, Prior{0.5f, 0.5f, 0.1f, 0.1f});
  Raw raw(3);
  raw.setScore(0, 0.5f);
  raw.setScore(1, 0.5000001f);
  raw.conf[5] = std::nanf("");
  std::vector<Face> out;
  decodeFaces(raw.view(), priors, identityLetterbox(10, 10), 0.5f, out);
  CHECK_EQ(out.size(), static_cast<size_t>(1));
  CHECK(out[0].score > 0.5f);
}

TEST(postprocess_clips_boxes_but_not_landmarks) {
  const std::vector<Prior> priors = {{0.0f, 0.0f, 0.2f, 0.2f}};  // centred on the top-left corner
  Raw raw(1, 0.9f);
  raw.landms[0] = -1.0f;  // landmark left of the image
  PostprocessOptions options;
  options.clip = true;
  auto faces = postprocessImage(raw.view(), priors, identityLetterbox(100, 50), options);
  CHECK_EQ(faces.size(), static_cast<size_t>(1));
  CHECK_NEAR(faces[0].x1, 0.0, 0);
  CHECK_NEAR(faces[0].y1, 0.0, 0);
  CHECK_NEAR(faces[0].x2, 10.0, 1e-4);
  CHECK(faces[0].landmarks[0] < 0);
  options.clip = false;
  faces = postprocessImage(raw.view(), priors, identityLetterbox(100, 50), options);
  CHECK_NEAR(faces[0].x1, -10.0, 1e-4);
}
