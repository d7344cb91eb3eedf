// The pinned pool's CPU-testable logic: the slot-state machine driven by fake fences, and the batch layout that
// packs decoded pixels into a slot. No CUDA, no GPU.
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <thread>
#include <vector>

#include "cuda/batch_layout.h"
#include "cuda/slot_pool.h"
#include "harness.h"

using namespace retinaface;
using namespace retinaface::cuda;

namespace {

// Stands in for a cudaEvent: armed when work is enqueued, signalled when the "device" finishes it.
class FakeFence : public SlotFence {
 public:
  bool reached() override { return done_.load(); }
  void wait() override {
    std::unique_lock<std::mutex> lock(mutex_);
    ++waiters_;
    changed_.notify_all();
    changed_.wait(lock, [&] { return done_.load(); });
  }
  void arm() { done_ = false; }
  void signal() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      done_ = true;
    }
    changed_.notify_all();
  }
  // Blocks until at least n calls of wait() have started.
  void awaitWaiters(int n) {
    std::unique_lock<std::mutex> lock(mutex_);
    changed_.wait(lock, [&] { return waiters_ >= n; });
  }

 private:
  std::atomic<bool> done_{true};
  std::mutex mutex_;
  std::condition_variable changed_;
  int waiters_ = 0;
};

struct FakePool {
  std::vector<FakeFence*> fences;
  std::unique_ptr<SlotPool> pool;
  explicit FakePool(int slots) {
    std::vector<std::unique_ptr<SlotFence>> owned;
    for (int i = 0; i < slots; ++i) {
      auto fence = std::make_unique<FakeFence>();
      fences.push_back(fence.get());
      owned.push_back(std::move(fence));
    }
    pool = std::make_unique<SlotPool>(std::move(owned));
  }
  // What the CUDA pool does after enqueueing copies: record the event, then submit.
  void submitWork(int slot) {
    fences[static_cast<size_t>(slot)]->arm();
    pool->submit(slot);
  }
};

template <typename T>
bool finishesWithin(std::future<T>& f, int ms) {
  return f.wait_for(std::chrono::milliseconds(ms)) == std::future_status::ready;
}

}  // namespace

TEST(slot_pool_hands_out_each_slot_once) {
  FakePool p(3);
  const int a = p.pool->acquire(), b = p.pool->acquire(), c = p.pool->acquire();
  CHECK(a != b && b != c && a != c);
  CHECK(!p.pool->tryAcquire().has_value());
  CHECK(p.pool->state(b) == SlotState::Held);
  p.pool->release(b);
  CHECK(p.pool->state(b) == SlotState::Free);
  const std::optional<int> again = p.pool->tryAcquire();
  CHECK(again.has_value() && *again == b);
}

TEST(slot_pool_reuses_a_submitted_slot_only_after_its_fence) {
  FakePool p(1);
  const int slot = p.pool->acquire();
  p.submitWork(slot);
  CHECK(p.pool->state(slot) == SlotState::InFlight);
  CHECK(!p.pool->tryAcquire().has_value());
  CHECK(!p.pool->tryAcquire().has_value());  // polling does not free it either
  p.fences[0]->signal();
  const std::optional<int> reused = p.pool->tryAcquire();
  CHECK(reused.has_value() && *reused == slot);
  CHECK(p.pool->state(slot) == SlotState::Held);
}

TEST(slot_pool_reclaims_out_of_order_completions) {
  FakePool p(2);
  const int first = p.pool->acquire(), second = p.pool->acquire();
  p.submitWork(first);
  p.submitWork(second);
  p.fences[static_cast<size_t>(second)]->signal();  // another stream finished earlier
  const std::optional<int> slot = p.pool->tryAcquire();
  CHECK(slot.has_value() && *slot == second);
  CHECK(p.pool->state(first) == SlotState::InFlight);
}

TEST(slot_pool_acquire_waits_on_the_oldest_fence) {
  FakePool p(2);
  const int first = p.pool->acquire(), second = p.pool->acquire();
  p.submitWork(first);
  p.submitWork(second);
  std::future<int> waiter = std::async(std::launch::async, [&] { return p.pool->acquire(); });
  p.fences[static_cast<size_t>(first)]->awaitWaiters(1);
  CHECK(!finishesWithin(waiter, 20));
  p.fences[static_cast<size_t>(first)]->signal();
  CHECK(finishesWithin(waiter, 5000));
  CHECK_EQ(waiter.get(), first);
  CHECK(p.pool->state(second) == SlotState::InFlight);
}

TEST(slot_pool_acquire_waits_for_a_held_slot) {
  FakePool p(1);
  const int slot = p.pool->acquire();
  std::future<int> waiter = std::async(std::launch::async, [&] { return p.pool->acquire(); });
  CHECK(!finishesWithin(waiter, 20));
  p.pool->release(slot);
  CHECK(finishesWithin(waiter, 5000));
  CHECK_EQ(waiter.get(), slot);
}

TEST(slot_pool_rejects_transitions_by_non_owners) {
  FakePool p(2);
  CHECK_THROWS(p.pool->release(0));  // Free, not held
  CHECK_THROWS(p.pool->submit(1));
  CHECK_THROWS(p.pool->release(7));
  CHECK_THROWS(p.pool->release(-1));
  const int slot = p.pool->acquire();
  p.submitWork(slot);
  CHECK_THROWS(p.pool->release(slot));  // InFlight: only its fence frees it
  CHECK_THROWS(SlotPool(std::vector<std::unique_ptr<SlotFence>>{}));
}

TEST(slot_pool_retired_slots_leave_circulation) {
  FakePool p(2);
  const int a = p.pool->acquire(), b = p.pool->acquire();
  p.pool->retire(a);
  CHECK(p.pool->state(a) == SlotState::Retired);
  p.pool->release(b);
  CHECK_EQ(p.pool->acquire(), b);
  p.pool->retire(b);
  CHECK(!p.pool->tryAcquire().has_value());
  CHECK_THROWS(p.pool->acquire());  // nothing can ever come back
}

TEST(slot_pool_drain_waits_for_every_in_flight_slot) {
  FakePool p(3);
  const int a = p.pool->acquire(), b = p.pool->acquire(), held = p.pool->acquire();
  p.submitWork(a);
  p.submitWork(b);
  std::future<void> drained = std::async(std::launch::async, [&] { p.pool->drain(); });
  p.fences[static_cast<size_t>(a)]->awaitWaiters(1);
  p.fences[static_cast<size_t>(b)]->signal();
  CHECK(!finishesWithin(drained, 20));
  p.fences[static_cast<size_t>(a)]->signal();
  CHECK(finishesWithin(drained, 5000));
  CHECK(p.pool->state(a) == SlotState::Free);
  CHECK(p.pool->state(b) == SlotState::Free);
  CHECK(p.pool->state(held) == SlotState::Held);  // held slots are the owner's business
}

TEST(slot_pool_concurrent_owners_never_share_a_slot) {
  constexpr int kSlots = 3, kThreads = 6, kRounds = 300;
  FakePool p(kSlots);
  std::vector<std::atomic<int>> owners(kSlots);
  for (auto& o : owners) o = 0;
  std::atomic<int> overlaps{0};
  std::atomic<bool> stop{false};
  // The "device": finishes submitted work at random moments.
  std::thread device([&] {
    std::mt19937 rng(7);
    while (!stop) {
      p.fences[rng() % kSlots]->signal();
      std::this_thread::sleep_for(std::chrono::microseconds(rng() % 50));
    }
  });
  std::vector<std::thread> workers;
  for (int t = 0; t < kThreads; ++t) {
    workers.emplace_back([&, t] {
      std::mt19937 rng(100 + t);
      for (int round = 0; round < kRounds; ++round) {
        const int slot = p.pool->acquire();
        if (owners[static_cast<size_t>(slot)].fetch_add(1) != 0) ++overlaps;
        std::this_thread::sleep_for(std::chrono::microseconds(rng() % 20));
        owners[static_cast<size_t>(slot)].fetch_sub(1);
        if (rng() % 3 == 0) {
          p.pool->release(slot);
        } else {
          p.submitWork(slot);
        }
      }
    });
  }
  for (std::thread& w : workers) w.join();
  stop = true;
  device.join();
  for (FakeFence* f : p.fences) f->signal();
  p.pool->drain();
  CHECK_EQ(overlaps.load(), 0);
  for (int s = 0; s < kSlots; ++s) CHECK(p.pool->state(s) == SlotState::Free);
}

TEST(batch_layout_packs_geometry_then_aligned_rows) {
  // 5x3 RGB with padded rows (stride 17) and a 2x2 gray image.
  std::vector<uint8_t> rgb(17 * 3), gray = {1, 2, 3, 4};
  for (size_t i = 0; i < rgb.size(); ++i) rgb[i] = static_cast<uint8_t>(i);
  const std::vector<PixelView> views = {{rgb.data(), 5, 3, 3, 17}, {gray.data(), 2, 2, 1, 2}};
  const std::vector<Letterbox> lbs = {computeLetterbox(5, 3, 64, 32), computeLetterbox(2, 2, 64, 32)};
  const BatchLayout layout = planBatch(views, lbs);
  CHECK_EQ(layout.images.size(), static_cast<size_t>(2));
  const ImageGeometry& g0 = layout.images[0];
  const ImageGeometry& g1 = layout.images[1];
  CHECK_EQ(g0.pixelOffset, static_cast<uint64_t>(80));  // 2 x 40-byte records, aligned to 16
  CHECK_EQ(g0.rowStride, 15);                           // packed: width * channels
  CHECK_EQ(g0.resizedWidth, lbs[0].resizedWidth);
  CHECK_EQ(g0.resizedHeight, lbs[0].resizedHeight);
  CHECK_EQ(g0.scale, static_cast<float>(lbs[0].scale));
  CHECK_EQ(g1.pixelOffset % kBatchAlignment, static_cast<uint64_t>(0));
  CHECK_EQ(g1.pixelOffset, static_cast<uint64_t>(80 + 48));  // 45 bytes rounded up
  CHECK_EQ(g1.channels, 1);
  CHECK_EQ(layout.totalBytes, static_cast<size_t>(80 + 48 + 16));

  std::vector<uint8_t> slot(layout.totalBytes, 0xEE);
  packBatch(layout, views, slot.data(), slot.size());
  ImageGeometry copied[2];
  std::memcpy(copied, slot.data(), sizeof(copied));
  CHECK_EQ(copied[1].pixelOffset, g1.pixelOffset);
  for (int y = 0; y < 3; ++y)
    for (int x = 0; x < 15; ++x) CHECK_EQ(static_cast<int>(slot[80 + y * 15 + x]), static_cast<int>(rgb[y * 17 + x]));
  for (int i = 0; i < 4; ++i) CHECK_EQ(static_cast<int>(slot[g1.pixelOffset + i]), static_cast<int>(gray[i]));
}

TEST(batch_layout_rejects_what_the_kernels_cannot_take) {
  std::vector<uint8_t> rgb(4 * 4 * 3, 0);
  const PixelView view{rgb.data(), 4, 4, 3, 12};
  CHECK_THROWS(planBatch({view}, {}));
  CHECK_THROWS(planBatch({view}, {computeLetterbox(5, 4, 8, 8)}));
  CHECK_THROWS(planBatch({{rgb.data(), 4, 4, 2, 12}}, {computeLetterbox(4, 4, 8, 8)}));
  CHECK_THROWS(planBatch({{rgb.data(), 4, 4, 3, 11}}, {computeLetterbox(4, 4, 8, 8)}));
  CHECK_THROWS(planBatch({{nullptr, 4, 4, 3, 12}}, {computeLetterbox(4, 4, 8, 8)}));
  CHECK_THROWS(planBatch({view, view}, {computeLetterbox(4, 4, 8, 8), computeLetterbox(4, 4, 16, 8)}));
  const BatchLayout layout = planBatch({view}, {computeLetterbox(4, 4, 8, 8)});
  std::vector<uint8_t> small(layout.totalBytes - 1);
  CHECK_THROWS(packBatch(layout, {view}, small.data(), small.size()));
}
