#include "core/prior_cache.h"
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

// 'original' input lets callers choose sizes: the cache must forget old ones instead of growing with each.
TEST(prior_cache_is_bounded_by_count_and_bytes) {
  PriorCache bySizes(3, std::size_t{1} << 30);
  for (int side = 100; side < 120; ++side) bySizes.get(side, side);
  CHECK_EQ(bySizes.sizes(), static_cast<size_t>(3));

  const std::size_t one640 = makePriors(640, 640).size() * sizeof(Prior);
  PriorCache byBytes(100, 2 * one640 + 1);
  for (int i = 0; i < 10; ++i) byBytes.get(640 + 32 * (i % 5), 640);
  CHECK(byBytes.bytes() <= 2 * one640 + 1);
  CHECK(byBytes.sizes() >= static_cast<size_t>(1));

  PriorCache tiny(4, 16);  // a size larger than the whole budget is computed but not kept
  CHECK_EQ(tiny.get(640, 640)->size(), static_cast<size_t>(16800));
  CHECK_EQ(tiny.sizes(), static_cast<size_t>(0));
}

TEST(prior_cache_keeps_recently_used_sizes) {
  PriorCache cache(2, std::size_t{1} << 30);
  const auto a = cache.get(64, 64);
  cache.get(96, 96);
  CHECK(cache.get(64, 64) == a);  // a is now the most recent
  cache.get(128, 128);            // evicts 96, not 64
  CHECK(cache.get(64, 64) == a);
  CHECK_EQ(cache.sizes(), static_cast<size_t>(2));
  const auto held = cache.get(128, 128);
  cache.get(160, 160);
  cache.get(192, 192);  // 128 evicted, but the caller's pointer stays valid
  CHECK_EQ(held->size(), makePriors(128, 128).size());
}
