#include <vector>

#include "core/nms.h"
#include "harness.h"

using namespace retinaface;

namespace {
Face box(float x1, float y1, float x2, float y2, float score, float tag = 0) {
  Face f{x1, y1, x2, y2, score, {}};
  for (float& v : f.landmarks) v = tag;
  return f;
}
}  // namespace

TEST(iou_uses_plus_one_convention) {
  // Two 10x10 (+1 => 11x11) boxes overlapping by half.
  const Face a = box(0, 0, 10, 10, 1), b = box(5, 0, 15, 10, 1);
  CHECK_NEAR(iouPlusOne(a, b), 66.0 / (121 + 121 - 66), 1e-6);
  CHECK_NEAR(iouPlusOne(a, a), 1.0, 1e-7);
  CHECK_NEAR(iouPlusOne(a, box(100, 100, 110, 110, 1)), 0.0, 0);
}

TEST(nms_keeps_highest_and_its_landmarks) {
  std::vector<Face> faces = {box(0, 0, 10, 10, 0.6f, 1), box(1, 1, 11, 11, 0.9f, 2), box(50, 50, 60, 60, 0.7f, 3)};
  const auto kept = nonMaximumSuppression(faces, 0.4f, 0, 0);
  CHECK_EQ(kept.size(), static_cast<size_t>(2));
  CHECK_NEAR(kept[0].score, 0.9, 1e-7);
  CHECK_NEAR(kept[0].landmarks[9], 2.0, 0);
  CHECK_NEAR(kept[1].score, 0.7, 1e-7);
  CHECK_NEAR(kept[1].landmarks[0], 3.0, 0);
}

TEST(nms_threshold_is_inclusive_keep) {
  // IoU exactly 1/3 in +1 units: kept at threshold 1/3 would need ovr <= thresh.
  const Face a = box(0, 0, 9, 9, 0.9f), b = box(5, 0, 14, 9, 0.8f);  // 10x10 boxes overlapping 5 columns
  const float iou = iouPlusOne(a, b);
  CHECK_EQ(nonMaximumSuppression({a, b}, iou, 0, 0).size(), static_cast<size_t>(2));
  CHECK_EQ(nonMaximumSuppression({a, b}, iou - 1e-6f, 0, 0).size(), static_cast<size_t>(1));
}

TEST(nms_caps_and_stable_ties) {
  std::vector<Face> faces;
  for (int i = 0; i < 10; ++i) faces.push_back(box(i * 100.0f, 0, i * 100.0f + 10, 10, 0.5f, static_cast<float>(i)));
  auto kept = nonMaximumSuppression(faces, 0.4f, 0, 3);
  CHECK_EQ(kept.size(), static_cast<size_t>(3));
  CHECK_NEAR(kept[2].landmarks[0], 2.0, 0);  // equal scores keep decode order
  kept = nonMaximumSuppression(faces, 0.4f, 4, 0);
  CHECK_EQ(kept.size(), static_cast<size_t>(4));
  CHECK_EQ(nonMaximumSuppression({}, 0.4f, 0, 0).size(), static_cast<size_t>(0));
}
