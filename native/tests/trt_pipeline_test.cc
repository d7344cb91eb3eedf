// The TensorRT pipeline without TensorRT or a GPU: lanes, the scheduler and sessions over the CPU fakes. Each
// image's colour tells the replay engine which recorded outputs to produce, so a result that lands in the wrong
// batch slot, a slot reused too early or a result read before the stream finished shows up as wrong faces.
#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstring>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "core/coded_error.h"
#include "harness.h"
#include "trt/pipeline/batch_scheduler.h"
#include "trt/pipeline/detector_session.h"
#include "trt/pipeline/lane.h"
#include "trt_fakes.h"
#include "trt_test_support.h"

using namespace retinaface;
using namespace retinaface::trt;
using trtfake::FakeBehaviour;
using trttest::codeOf;

namespace {

PostprocessOptions referenceOptions() {
  PostprocessOptions o;
  o.scoreThreshold = 0.5f;
  o.nmsThreshold = 0.4f;
  o.preNmsTopK = 5000;
  o.maxFaces = 1000;
  o.clip = true;
  return o;
}

// Images owned by the test, so the pixel views in requests stay valid.
struct ImageSet {
  std::vector<std::vector<uint8_t>> pixels;
  std::vector<PixelView> views;
  std::vector<int> ids;
  ImageSet(const std::vector<int>& imageIds, int width, int height)
      : ImageSet(imageIds, std::vector<std::pair<int, int>>(imageIds.size(), {width, height})) {}
  ImageSet(const std::vector<int>& imageIds, const std::vector<std::pair<int, int>>& sizes) : ids(imageIds) {
    pixels.reserve(ids.size());
    for (size_t i = 0; i < ids.size(); ++i)
      pixels.push_back(trtfake::imageFor(ids[i], sizes[i].first, sizes[i].second));
    for (size_t i = 0; i < ids.size(); ++i)
      views.push_back(trtfake::viewOf(pixels[i], sizes[i].first, sizes[i].second));
  }
};

DetectRequest requestFor(const ImageSet& images, std::optional<InputSize> canvas) {
  DetectRequest r;
  r.images = images.views;
  r.canvas = canvas;
  r.options = referenceOptions();
  return r;
}

// Compares a result with what the core functions give for each image, exactly (same arithmetic on both sides).
bool matchesExpected(const DetectResult& result, const ImageSet& images, std::optional<InputSize> canvas) {
  if (result.counts.size() != images.ids.size()) return false;
  size_t offset = 0;
  for (size_t i = 0; i < images.ids.size(); ++i) {
    const PixelView& v = images.views[i];
    const std::vector<Face> expected = trtfake::expectedFaces(images.ids[i], v.width, v.height, canvas,
                                                              referenceOptions());
    if (static_cast<size_t>(result.counts[i]) != expected.size()) return false;
    if (expected.empty()) continue;
    if (offset + expected.size() * kFaceFloats > result.faces.size()) return false;
    if (std::memcmp(result.faces.data() + offset, expected.data(), expected.size() * sizeof(Face)) != 0) return false;
    offset += expected.size() * kFaceFloats;
  }
  return offset == result.faces.size();
}

struct Rig {
  FakeBehaviour behaviour;
  std::shared_ptr<trtfake::FakePlatform> platform;
  trtfake::ReplayEngine engine;
  LaneLimits limits;
  ShapeProfile profile;
  Rig(ShapeProfile p, int slots = 2, size_t slotBytes = 8 << 20)
      : platform(std::make_shared<trtfake::FakePlatform>(behaviour, slots, slotBytes)), engine(p, behaviour),
        profile(p) {
    limits.maxBatch = p.maxBatch;
    limits.maxInput = p.max;
  }
  std::unique_ptr<Lane> lane() {
    return std::make_unique<Lane>(platform->createLane(limits), engine.createContext(), limits, profile);
  }
  std::vector<std::unique_ptr<Lane>> lanes(int n) {
    std::vector<std::unique_ptr<Lane>> all;
    for (int i = 0; i < n; ++i) all.push_back(lane());
    return all;
  }
};

// Collects outcomes delivered on lane threads.
struct Outcomes {
  std::mutex mutex;
  std::vector<std::pair<int, DetectOutcome>> received;
  std::condition_variable arrived;
  DetectCompletion completion(int tag) {
    return [this, tag](DetectOutcome&& outcome) {
      std::lock_guard<std::mutex> lock(mutex);
      received.emplace_back(tag, std::move(outcome));
      arrived.notify_all();
    };
  }
  bool waitFor(size_t n, int ms = 20000) {
    std::unique_lock<std::mutex> lock(mutex);
    return arrived.wait_for(lock, std::chrono::milliseconds(ms), [&] { return received.size() >= n; });
  }
  size_t size() {
    std::lock_guard<std::mutex> lock(mutex);
    return received.size();
  }
};

}  // namespace

TEST(trt_lane_replays_the_reference_batch_in_order) {
  Rig rig(ShapeProfile::fixed({640, 640}, 8));
  std::unique_ptr<Lane> lane = rig.lane();
  // The five raw640 photos (synthetic stand-ins without ../shared), in a scrambled order, in one batch.
  const ImageSet images({3, 1, 5, 2, 4}, 640, 640);
  const DetectResult result = lane->run(requestFor(images, InputSize{640, 640}));
  CHECK(matchesExpected(result, images, InputSize{640, 640}));
  if (trtfake::Recordings::instance().haveReference()) {
    // fr_two_people (id 1) has two faces >= 0.5 in the reference at 640.
    CHECK_EQ(result.counts[1], 2);
  }
  int total = 0;
  for (int c : result.counts) total += c;
  CHECK(total > 0);
}

TEST(trt_lane_letterboxes_and_runs_original_size) {
  Rig rig(ShapeProfile{4, 4, {32, 32}, {320, 320}, {640, 640}});
  std::unique_ptr<Lane> lane = rig.lane();
  const ImageSet wide({7, 8}, 900, 500);
  CHECK(matchesExpected(lane->run(requestFor(wide, InputSize{320, 320})), wide, InputSize{320, 320}));
  const ImageSet small({9}, 200, 120);
  CHECK(matchesExpected(lane->run(requestFor(small, InputSize{640, 640})), small, InputSize{640, 640}));
  const ImageSet own({10, 11}, 96, 64);
  CHECK(matchesExpected(lane->run(requestFor(own, std::nullopt)), own, std::nullopt));
}

TEST(trt_lane_maps_each_image_of_a_mixed_batch_through_its_own_letterbox) {
  Rig rig(ShapeProfile::fixed({640, 640}, 4));
  std::unique_ptr<Lane> lane = rig.lane();
  // Different sizes and aspect ratios in one batch: each image's faces must come back through its own scale.
  const ImageSet mixed({1, 2, 3, 4}, {{1280, 720}, {333, 500}, {640, 640}, {2000, 100}});
  CHECK(matchesExpected(lane->run(requestFor(mixed, InputSize{640, 640})), mixed, InputSize{640, 640}));
}

TEST(trt_lane_rejects_batches_outside_the_profile) {
  Rig rig(ShapeProfile{2, 2, {64, 64}, {320, 320}, {320, 320}});
  std::unique_ptr<Lane> lane = rig.lane();
  const ImageSet three({1, 2, 3}, 100, 100);
  CHECK_EQ(codeOf([&] { lane->run(requestFor(three, InputSize{320, 320})); }), std::string(codes::kInvalidArgument));
  const ImageSet one({1}, 100, 100);
  CHECK_EQ(codeOf([&] { lane->run(requestFor(one, InputSize{640, 640})); }), std::string(codes::kInvalidArgument));
  CHECK_EQ(codeOf([&] { lane->run(requestFor(one, std::nullopt)); }), std::string("none"));  // 100x100 fits 64..320
  const ImageSet tiny({1}, 40, 40);
  CHECK_EQ(codeOf([&] { lane->run(requestFor(tiny, std::nullopt)); }), std::string(codes::kInvalidArgument));
  DetectRequest mixed = requestFor(one, std::nullopt);
  const ImageSet other({2}, 120, 100);
  mixed.images.push_back(other.views[0]);
  CHECK_EQ(codeOf([&] { lane->run(mixed); }), std::string(codes::kInvalidArgument));
  DetectRequest empty = requestFor(one, InputSize{320, 320});
  empty.images.clear();
  CHECK_EQ(codeOf([&] { lane->run(empty); }), std::string(codes::kInvalidArgument));
  CHECK_EQ(rig.behaviour.enqueues.load(), 1);  // only the valid call reached the engine
  CHECK(matchesExpected(lane->run(requestFor(one, InputSize{320, 320})), one, InputSize{320, 320}));
}

TEST(trt_lane_survives_failures_midway) {
  Rig rig(ShapeProfile::fixed({320, 320}, 4));
  std::unique_ptr<Lane> lane = rig.lane();
  const ImageSet good({1, 2}, 300, 200);
  const ImageSet bad({1, 66, 2}, 300, 200);
  rig.behaviour.failPreprocessForId = 66;  // fails while enqueueing (like a failed cudaMemcpyAsync)
  CHECK_EQ(codeOf([&] { lane->run(requestFor(bad, InputSize{320, 320})); }), std::string(codes::kInferenceFailed));
  CHECK(matchesExpected(lane->run(requestFor(good, InputSize{320, 320})), good, InputSize{320, 320}));
  rig.behaviour.failPreprocessForId = 0;
  rig.behaviour.failEngineForId = 66;  // fails on the "device", found at the wait
  CHECK_EQ(codeOf([&] { lane->run(requestFor(bad, InputSize{320, 320})); }), std::string(codes::kInferenceFailed));
  CHECK(matchesExpected(lane->run(requestFor(good, InputSize{320, 320})), good, InputSize{320, 320}));
  rig.behaviour.failEngineForId = 0;
  rig.behaviour.extraPriors = 1;  // a model whose outputs do not fit the anchors: refused before enqueue
  const int before = rig.behaviour.enqueues.load();
  CHECK_EQ(codeOf([&] { lane->run(requestFor(good, InputSize{320, 320})); }), std::string(codes::kModelOutputMismatch));
  CHECK_EQ(rig.behaviour.enqueues.load(), before);
  rig.behaviour.extraPriors = 0;
  CHECK(matchesExpected(lane->run(requestFor(good, InputSize{320, 320})), good, InputSize{320, 320}));
}

TEST(trt_lane_uploads_batches_larger_than_a_pinned_slot) {
  Rig rig(ShapeProfile::fixed({320, 320}, 4), 1, 64 * 1024);  // one 64 KiB slot: 300x200 RGB does not fit
  std::unique_ptr<Lane> lane = rig.lane();
  const ImageSet big({5, 6}, 300, 200);
  CHECK(matchesExpected(lane->run(requestFor(big, InputSize{320, 320})), big, InputSize{320, 320}));
  const ImageSet small({7}, 60, 40);  // 7.2 KB: through the slot
  CHECK(matchesExpected(lane->run(requestFor(small, InputSize{320, 320})), small, InputSize{320, 320}));
}

TEST(trt_scheduler_runs_concurrent_batches_on_every_lane) {
  Rig rig(ShapeProfile::fixed({160, 160}, 4), 2);
  BatchScheduler scheduler(rig.lanes(3));
  CHECK_EQ(scheduler.laneCount(), 3);
  constexpr int kThreads = 4, kPerThread = 30;
  std::vector<std::unique_ptr<ImageSet>> sets(kThreads * kPerThread);
  for (int i = 0; i < kThreads * kPerThread; ++i) {
    const int size = 1 + i % 4;
    std::vector<int> ids;
    for (int k = 0; k < size; ++k) ids.push_back(1 + (i * 7 + k * 13) % 150);
    sets[static_cast<size_t>(i)] = std::make_unique<ImageSet>(ids, 120 + (i % 3) * 40, 90 + (i % 5) * 20);
  }
  Outcomes outcomes;
  std::vector<std::thread> submitters;
  for (int t = 0; t < kThreads; ++t) {
    submitters.emplace_back([&, t] {
      for (int k = 0; k < kPerThread; ++k) {
        const int tag = t * kPerThread + k;
        scheduler.submit(requestFor(*sets[static_cast<size_t>(tag)], InputSize{160, 160}), outcomes.completion(tag));
      }
    });
  }
  for (std::thread& s : submitters) s.join();
  CHECK(outcomes.waitFor(sets.size()));
  std::vector<int> seen(sets.size(), 0);
  std::lock_guard<std::mutex> lock(outcomes.mutex);
  for (auto& [tag, outcome] : outcomes.received) {
    ++seen[static_cast<size_t>(tag)];
    CHECK(outcome.ok);
    CHECK(matchesExpected(outcome.result, *sets[static_cast<size_t>(tag)], InputSize{160, 160}));
  }
  CHECK(std::all_of(seen.begin(), seen.end(), [](int n) { return n == 1; }));  // every completion exactly once
  CHECK(rig.behaviour.maxLanesBusy.load() >= 2);
}

TEST(trt_scheduler_keeps_submission_order_on_one_lane) {
  Rig rig(ShapeProfile::fixed({96, 96}, 2));
  BatchScheduler scheduler(rig.lanes(1));
  ImageSet images({1}, 96, 96);
  Outcomes outcomes;
  for (int i = 0; i < 20; ++i) scheduler.submit(requestFor(images, InputSize{96, 96}), outcomes.completion(i));
  CHECK(outcomes.waitFor(20));
  std::lock_guard<std::mutex> lock(outcomes.mutex);
  for (int i = 0; i < 20; ++i) CHECK_EQ(outcomes.received[static_cast<size_t>(i)].first, i);
}

TEST(trt_scheduler_isolates_a_failing_batch) {
  Rig rig(ShapeProfile::fixed({128, 128}, 4));
  rig.behaviour.failEngineForId = 99;
  BatchScheduler scheduler(rig.lanes(2));
  const ImageSet good({1, 2, 3}, 128, 100);
  const ImageSet bad({4, 99}, 128, 100);
  Outcomes outcomes;
  for (int i = 0; i < 12; ++i)
    scheduler.submit(requestFor(i % 3 == 1 ? bad : good, InputSize{128, 128}), outcomes.completion(i));
  CHECK(outcomes.waitFor(12));
  std::lock_guard<std::mutex> lock(outcomes.mutex);
  for (auto& [tag, outcome] : outcomes.received) {
    if (tag % 3 == 1) {
      CHECK(!outcome.ok);
      CHECK_EQ(std::string(outcome.code), std::string(codes::kInferenceFailed));
      CHECK(outcome.message.find("fake asynchronous engine failure") != std::string::npos);
    } else {
      CHECK(outcome.ok);
      CHECK(matchesExpected(outcome.result, good, InputSize{128, 128}));
    }
  }
}

TEST(trt_scheduler_close_drains_queued_work) {
  Rig rig(ShapeProfile::fixed({96, 96}, 2));
  auto scheduler = std::make_unique<BatchScheduler>(rig.lanes(2));
  const ImageSet images({1, 2}, 96, 96);
  Outcomes outcomes;
  for (int i = 0; i < 10; ++i) scheduler->submit(requestFor(images, InputSize{96, 96}), outcomes.completion(i));
  scheduler->close(CloseMode::Drain);
  CHECK_EQ(outcomes.size(), 10u);  // close() returned only after every batch completed
  {
    std::lock_guard<std::mutex> lock(outcomes.mutex);
    for (auto& entry : outcomes.received) CHECK(entry.second.ok);
  }
  CHECK_EQ(rig.behaviour.devicesAlive.load(), 0);  // lanes freed at close, not at destruction
  CHECK_EQ(rig.behaviour.contextsAlive.load(), 0);
  // Late submissions fail at once, on the caller's thread.
  bool calledInline = false;
  scheduler->submit(requestFor(images, InputSize{96, 96}), [&](DetectOutcome&& outcome) {
    calledInline = true;
    CHECK(!outcome.ok);
    CHECK_EQ(std::string(outcome.code), std::string(codes::kDetectorClosed));
  });
  CHECK(calledInline);
  scheduler->close(CloseMode::Drain);  // idempotent
}

TEST(trt_scheduler_close_cancels_queued_and_waits_for_running) {
  Rig rig(ShapeProfile::fixed({96, 96}, 2));
  rig.behaviour.holdCollect = true;  // batches reach the "GPU" and stay there
  auto scheduler = std::make_unique<BatchScheduler>(rig.lanes(2));
  const ImageSet images({5, 6}, 96, 96);
  Outcomes outcomes;
  for (int i = 0; i < 8; ++i) scheduler->submit(requestFor(images, InputSize{96, 96}), outcomes.completion(i));
  rig.behaviour.awaitCollectsWaiting(2);  // both lanes busy, 6 queued
  std::atomic<bool> closed{false};
  std::thread closer([&] {
    scheduler->close(CloseMode::CancelQueued);
    closed = true;
  });
  CHECK(outcomes.waitFor(6));  // the queued six fail at once
  std::this_thread::sleep_for(std::chrono::milliseconds(50));
  CHECK(!closed.load());  // ...but close() still waits for the two on the GPU
  CHECK_EQ(outcomes.size(), 6u);
  rig.behaviour.release();
  closer.join();
  CHECK(closed.load());
  CHECK_EQ(outcomes.size(), 8u);
  int ok = 0, cancelled = 0;
  {
    std::lock_guard<std::mutex> lock(outcomes.mutex);
    for (auto& entry : outcomes.received) {
      if (entry.second.ok) {
        ++ok;
        CHECK(matchesExpected(entry.second.result, images, InputSize{96, 96}));
      } else if (std::string(entry.second.code) == codes::kDetectorClosed) {
        ++cancelled;
      }
    }
  }
  CHECK_EQ(ok, 2);
  CHECK_EQ(cancelled, 6);
  CHECK_EQ(rig.behaviour.devicesAlive.load(), 0);
}

TEST(trt_scheduler_concurrent_closes_and_destruction_mid_work) {
  Rig rig(ShapeProfile::fixed({96, 96}, 2));
  const ImageSet images({3}, 96, 96);
  Outcomes outcomes;
  {
    auto scheduler = std::make_unique<BatchScheduler>(rig.lanes(3));
    for (int i = 0; i < 40; ++i) scheduler->submit(requestFor(images, InputSize{96, 96}), outcomes.completion(i));
    std::thread a([&] { scheduler->close(CloseMode::Drain); });
    std::thread b([&] { scheduler->close(CloseMode::CancelQueued); });
    a.join();
    b.join();
  }
  CHECK_EQ(outcomes.size(), 40u);  // every request answered once, whichever close won
  {
    auto scheduler = std::make_unique<BatchScheduler>(rig.lanes(2));
    for (int i = 0; i < 40; ++i) scheduler->submit(requestFor(images, InputSize{96, 96}), outcomes.completion(100 + i));
    // destroyed without close(): the destructor cancels what is queued and joins
  }
  CHECK_EQ(outcomes.size(), 80u);
  CHECK_EQ(rig.behaviour.devicesAlive.load(), 0);
}

TEST(trt_scheduler_refuses_close_from_a_completion) {
  Rig rig(ShapeProfile::fixed({96, 96}, 2));
  BatchScheduler scheduler(rig.lanes(1));
  const ImageSet images({3}, 96, 96);
  std::promise<std::string> result;
  scheduler.submit(requestFor(images, InputSize{96, 96}), [&](DetectOutcome&&) {
    try {
      scheduler.close(CloseMode::Drain);
      result.set_value("closed");
    } catch (const std::logic_error&) {
      result.set_value("refused");
    }
  });
  CHECK_EQ(result.get_future().get(), std::string("refused"));
}

TEST(trt_session_builds_caches_and_detects) {
  trttest::TempDir dir;
  FakeBehaviour behaviour;
  auto runtime = std::make_shared<trtfake::FakeRuntime>(behaviour);
  SessionConfig config;
  config.onnx = std::vector<uint8_t>{'o', 'n', 'n', 'x'};
  config.precision = Precision::Fp16;
  config.profile = ShapeProfile::fixed({640, 640}, 4);
  config.cacheDir = dir.path();
  config.streams = 2;
  {
    auto session = DetectorSession::open(config, runtime, std::make_shared<trtfake::FakePlatform>(behaviour), nullptr);
    const SessionInfo& info = session->info();
    CHECK(info.built);
    CHECK_EQ(info.tensorrtVersion, std::string("10.16.0"));
    CHECK_EQ(info.gpu.computeCapability(), std::string("8.9"));
    CHECK_EQ(info.streams, 2);
    CHECK_EQ(info.enginePath.rfind(dir.path() + "/retinaface-fp16-640x640-b4-sm89-", 0), 0u);
    CHECK_EQ(behaviour.devicesAlive.load(), 2);
    const ImageSet images({1, 2, 3, 4}, 640, 480);
    std::promise<DetectOutcome> done;
    session->submit(requestFor(images, InputSize{640, 640}), [&](DetectOutcome&& o) { done.set_value(std::move(o)); });
    DetectOutcome outcome = done.get_future().get();
    CHECK(outcome.ok);
    CHECK(matchesExpected(outcome.result, images, InputSize{640, 640}));
    session->close(CloseMode::Drain);
    CHECK_EQ(behaviour.devicesAlive.load(), 0);
    CHECK_EQ(behaviour.enginesAlive.load(), 1);  // the engine lives until the session goes
  }
  CHECK_EQ(behaviour.enginesAlive.load(), 0);
  auto again = DetectorSession::open(config, runtime, std::make_shared<trtfake::FakePlatform>(behaviour), nullptr);
  CHECK(!again->info().built);
  CHECK_EQ(runtime->builds.load(), 1);
}

TEST(trt_session_open_failures_are_typed) {
  trttest::TempDir dir;
  FakeBehaviour behaviour;
  auto runtime = std::make_shared<trtfake::FakeRuntime>(behaviour);
  SessionConfig config;
  config.onnx = std::vector<uint8_t>{'o'};
  config.profile = ShapeProfile::fixed({640, 640}, 4);
  config.cacheDir = dir.path();
  auto platform = std::make_shared<trtfake::FakePlatform>(behaviour);
  platform->noGpu = true;
  CHECK_EQ(codeOf([&] { DetectorSession::open(config, runtime, platform, nullptr); }),
           std::string(codes::kBackendUnavailable));
  platform->noGpu = false;
  SessionConfig bad = config;
  bad.profile.opt = {1280, 1280};  // opt beyond max
  CHECK_EQ(codeOf([&] { DetectorSession::open(bad, runtime, platform, nullptr); }),
           std::string(codes::kInvalidArgument));
  bad = config;
  bad.streams = 0;
  CHECK_EQ(codeOf([&] { DetectorSession::open(bad, runtime, platform, nullptr); }),
           std::string(codes::kInvalidArgument));
  runtime->failBuild = true;
  CHECK_EQ(codeOf([&] { DetectorSession::open(config, runtime, platform, nullptr); }),
           std::string(codes::kModelInvalid));
  CHECK_EQ(behaviour.devicesAlive.load(), 0);
  CHECK_EQ(behaviour.enginesAlive.load(), 0);
}

TEST(trt_session_destroyed_with_work_in_flight) {
  trttest::TempDir dir;
  FakeBehaviour behaviour;
  SessionConfig config;
  config.onnx = std::vector<uint8_t>{'o'};
  config.profile = ShapeProfile::fixed({128, 128}, 2);
  config.cacheDir = dir.path();
  config.streams = 2;
  const ImageSet images({8, 9}, 128, 128);
  Outcomes outcomes;
  {
    auto session = DetectorSession::open(config, std::make_shared<trtfake::FakeRuntime>(behaviour),
                                         std::make_shared<trtfake::FakePlatform>(behaviour), nullptr);
    for (int i = 0; i < 30; ++i) session->submit(requestFor(images, InputSize{128, 128}), outcomes.completion(i));
  }  // what an environment cleanup hook does: cancel the queue, finish what runs, free everything
  CHECK_EQ(outcomes.size(), 30u);
  CHECK_EQ(behaviour.devicesAlive.load(), 0);
  CHECK_EQ(behaviour.contextsAlive.load(), 0);
  CHECK_EQ(behaviour.enginesAlive.load(), 0);
}
