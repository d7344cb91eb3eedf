// CPU stand-ins for the GPU side of the TensorRT pipeline, so lanes, the scheduler and sessions run (under
// AddressSanitizer too) without CUDA or TensorRT:
//   FakeStream     an in-order work queue that runs only when waited on, like a stream nobody has synchronised;
//   FakeLaneDevice the CUDA lane's steps on the CPU: a slot of a shared SlotPool (fences armed on the stream),
//                  packBatch into it, letterboxToTensor from it, postprocessImage on the outputs;
//   ReplayEngine   an engine whose "network" recognises each image by its colour and replays recorded outputs
//                  (the reference's raw640 tensors when ../shared is there, synthetic ones otherwise);
//   FakeRuntime / FakePlatform  build, load and device identity for DetectorSession.
#pragma once
#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <deque>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <set>
#include <string>
#include <vector>

#include "core/coded_error.h"
#include "core/face.h"
#include "core/postprocess.h"
#include "cuda/slot_pool.h"
#include "trt/engine/engine.h"
#include "trt/engine/engine_runtime.h"
#include "trt/engine/engine_tensors.h"
#include "trt/pipeline/device_platform.h"
#include "trt/pipeline/lane_device.h"

namespace trtfake {

using namespace retinaface;
using namespace retinaface::trt;

// ---------------------------------------------------------------------------------------------------------------
// Recorded network outputs, by image id.

struct Recording {
  std::vector<float> loc, conf, landms;  // [priors, 4 | 2 | 10]
};

// The raw640 photos (ids 1..5) when the shared data is available; otherwise, and for any size other than 640x640,
// synthetic outputs with a handful of faces whose positions depend on the id.
class Recordings {
 public:
  static Recordings& instance();
  const Recording& forImage(int id, InputSize size);
  bool haveReference() const { return haveReference_; }

 private:
  Recordings();
  std::mutex mutex_;
  std::map<std::tuple<int, int, int>, Recording> cache_;
  std::map<int, Recording> reference_;
  bool haveReference_ = false;
};

// A uniformly coloured RGB image whose colour encodes `id` (1..200): any letterbox resize keeps the colour, so
// the engine can tell which image sits in each batch slot.
std::vector<uint8_t> imageFor(int id, int width, int height);
PixelView viewOf(const std::vector<uint8_t>& pixels, int width, int height);
// The id the engine reads back from the first value of a preprocessed image (B plane, pixel 0,0).
int idFromTensorValue(float blueMinusMean);

// What the whole pipeline should produce for image `id` of size width x height on `canvas` (nullopt: own size).
std::vector<Face> expectedFaces(int id, int width, int height, std::optional<InputSize> canvas,
                                const PostprocessOptions& options);

// ---------------------------------------------------------------------------------------------------------------

class FakeStream {
 public:
  void enqueue(std::function<void()> work);
  void synchronize();  // runs everything enqueued so far, in order, on the calling thread
  size_t pending() const;

 private:
  mutable std::mutex mutex_;
  std::deque<std::function<void()>> work_;
};

// Fence of a pinned slot: reached once the stream that was armed with it has run past the arming point.
class StreamFence : public cuda::SlotFence {
 public:
  void arm(FakeStream& stream);
  bool reached() override;
  void wait() override;

 private:
  std::mutex mutex_;
  std::condition_variable changed_;
  bool reached_ = true;
  uint64_t armed_ = 0, signalled_ = 0;
};

// Knobs shared by the fakes of one test.
struct FakeBehaviour {
  std::atomic<int> failPreprocessForId{0};   // throw INFERENCE_FAILED from enqueuePreprocess for a batch with it
  std::atomic<int> failEngineForId{0};       // throw INFERENCE_FAILED from the context's enqueue
  std::atomic<int> extraPriors{0};           // outputs disagree with the anchors by this many priors
  std::atomic<bool> holdCollect{false};      // collect() waits until release() (batches stay "on the GPU")
  std::atomic<int> collectsWaiting{0};
  std::atomic<int> lanesBusy{0}, maxLanesBusy{0};
  std::atomic<int> devicesAlive{0}, contextsAlive{0};
  std::atomic<int> enginesAlive{0};
  std::atomic<int> enqueues{0};
  std::mutex gateMutex;
  std::condition_variable gate;
  void release();
  void awaitCollectsWaiting(int n);
};

class FakeLaneDevice : public LaneDevice {
 public:
  FakeLaneDevice(const LaneLimits& limits, cuda::SlotPool& pinned, std::vector<std::vector<uint8_t>>& slots,
                 std::vector<StreamFence*>& fences, FakeBehaviour& behaviour);
  ~FakeLaneDevice() override;
  void* stream() override { return &stream_; }
  TensorBindings tensors() override;
  void enqueuePreprocess(const std::vector<PixelView>& images, const std::vector<Letterbox>& letterboxes,
                         InputSize input) override;
  void enqueuePostprocess(int batch, InputSize input, const PostprocessOptions& options) override;
  void collect(int batch, DetectResult& result) override;
  void drain() noexcept override;

 private:
  LaneLimits limits_;
  cuda::SlotPool& pinned_;
  std::vector<std::vector<uint8_t>>& slots_;
  std::vector<StreamFence*>& fences_;
  FakeBehaviour& behaviour_;
  FakeStream stream_;
  std::vector<float> input_, loc_, conf_, landms_;
  std::vector<uint8_t> uploaded_;             // the "device" copy of the slot
  std::vector<Letterbox> letterboxes_;
  std::vector<std::vector<Face>> results_;    // the "device" results, copied out by collect
  bool busy_ = false;                         // between enqueuePreprocess and collect/drain
  void markBusy(bool busy);
};

class ReplayEngine : public Engine {
 public:
  ReplayEngine(const ShapeProfile& profile, FakeBehaviour& behaviour);
  ~ReplayEngine() override;
  const EngineDescription& description() const override { return description_; }
  std::unique_ptr<ExecutionContext> createContext() override;

 private:
  EngineDescription description_;
  FakeBehaviour& behaviour_;
};

// Shared "pinned" slots for the lanes of one platform.
class FakePlatform : public DevicePlatform {
 public:
  explicit FakePlatform(FakeBehaviour& behaviour, int slots = 2, size_t slotBytes = 8 << 20);
  GpuIdentity identity() override;
  std::unique_ptr<LaneDevice> createLane(const LaneLimits& limits) override;
  bool noGpu = false;

 private:
  FakeBehaviour& behaviour_;
  std::vector<std::vector<uint8_t>> slots_;
  std::vector<StreamFence*> fences_;
  std::unique_ptr<cuda::SlotPool> pool_;
};

// Builds "plans" that name the profile; loads them into ReplayEngines.
class FakeRuntime : public EngineRuntime {
 public:
  explicit FakeRuntime(FakeBehaviour& behaviour, std::string version = "10.16.0")
      : behaviour_(behaviour), version_(std::move(version)) {}
  std::string version() const override { return version_; }
  BuildResult build(const BuildRequest& request, BuildMonitor* monitor) override;
  std::unique_ptr<Engine> load(const uint8_t* plan, size_t size) override;

  std::atomic<int> builds{0}, loads{0};
  std::vector<size_t> timingCacheSizesSeen;
  bool failBuild = false;
  std::mutex mutex;

 private:
  FakeBehaviour& behaviour_;
  std::string version_;
};

}  // namespace trtfake
