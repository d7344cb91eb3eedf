#include "core/priors.h"
#include "harness.h"

using namespace retinaface;

TEST(priors_count_640) {
  CHECK_EQ(priorCount(640, 640), 16800);
  CHECK_EQ(makePriors(640, 640).size(), static_cast<size_t>(16800));
}

TEST(priors_count_odd_size_uses_ceil) {
  // raw_dynamic reference: H=517, W=389 -> 8462 priors.
  CHECK_EQ(priorCount(389, 517), 8462);
  CHECK_EQ(makePriors(389, 517).size(), static_cast<size_t>(8462));
  CHECK_EQ(priorCount(1, 1), 6);
}

TEST(priors_order_and_values) {
  const auto p = makePriors(640, 480);
  // First cell of stride 8: two anchors (16, 32) at the same centre.
  CHECK_NEAR(p[0].cx, 4.0 / 640, 1e-7);
  CHECK_NEAR(p[0].cy, 4.0 / 480, 1e-7);
  CHECK_NEAR(p[0].w, 16.0 / 640, 1e-7);
  CHECK_NEAR(p[0].h, 16.0 / 480, 1e-7);
  CHECK_NEAR(p[1].w, 32.0 / 640, 1e-7);
  CHECK_NEAR(p[1].cx, p[0].cx, 0);
  // Next column.
  CHECK_NEAR(p[2].cx, 12.0 / 640, 1e-7);
  // First prior of stride 16 comes after all 80*60*2 of stride 8.
  const auto& s16 = p[80 * 60 * 2];
  CHECK_NEAR(s16.cx, 8.0 / 640, 1e-7);
  CHECK_NEAR(s16.w, 64.0 / 640, 1e-7);
  // Last prior: stride 32, last row/col, anchor 512.
  const auto& last = p.back();
  CHECK_NEAR(last.cx, (19 + 0.5) * 32 / 640, 1e-7);
  CHECK_NEAR(last.cy, (14 + 0.5) * 32 / 480, 1e-7);
  CHECK_NEAR(last.h, 512.0 / 480, 1e-7);
}
