#include "trt_fakes.h"

#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <sstream>
#include <stdexcept>
#include <tuple>

#include "core/letterbox.h"
#include "core/preprocess.h"
#include "core/priors.h"
#include "cuda/batch_layout.h"

namespace trtfake {

namespace {

std::string sharedDir() {
  if (const char* dir = std::getenv("RETINAFACE_SHARED"); dir && *dir) return dir;
  return std::string(RETINAFACE_SOURCE_DIR) + "/../shared";
}

bool readFloats(const std::string& path, size_t count, std::vector<float>& out) {
  std::ifstream file(path, std::ios::binary);
  if (!file) return false;
  out.resize(count);
  file.read(reinterpret_cast<char*>(out.data()), static_cast<std::streamsize>(count * sizeof(float)));
  return static_cast<size_t>(file.gcount()) == count * sizeof(float);
}

// A few confident candidates per image, placed by id; everything else scores 0.
Recording synthetic(int id, InputSize size) {
  const size_t priors = static_cast<size_t>(priorCount(size.width, size.height));
  Recording r;
  r.loc.assign(priors * 4, 0.0f);
  r.conf.assign(priors * 2, 0.0f);
  r.landms.assign(priors * 10, 0.0f);
  for (size_t i = 0; i < priors; ++i) r.conf[2 * i] = 1.0f;
  for (int k = 0; k < 4; ++k) {
    const size_t index = (static_cast<size_t>(id) * 7919u + static_cast<size_t>(k) * 104729u) % priors;
    const float score = 0.55f + 0.1f * static_cast<float>(k) + 0.001f * static_cast<float>(id % 50);
    r.conf[2 * index] = 1.0f - score;
    r.conf[2 * index + 1] = score;
    r.loc[4 * index] = 0.1f * static_cast<float>(k);
    r.loc[4 * index + 1] = -0.1f * static_cast<float>(k);
    r.loc[4 * index + 2] = 0.05f * static_cast<float>(id % 5);
    for (int j = 0; j < 10; ++j) r.landms[10 * index + static_cast<size_t>(j)] = 0.01f * static_cast<float>(j + 1);
  }
  return r;
}

}  // namespace

Recordings& Recordings::instance() {
  static Recordings recordings;
  return recordings;
}

Recordings::Recordings() {
  const char* photos[] = {"fr_two_people", "rf_curve_test", "dlib_voc_2008_002470", "fr_32bit", "dlib_cars_noface"};
  const size_t priors = static_cast<size_t>(priorCount(640, 640));
  bool all = true;
  for (int i = 0; i < 5; ++i) {
    const std::string base = sharedDir() + "/data/reference/raw640/" + photos[i];
    Recording r;
    all = all && readFloats(base + ".loc.f32", priors * 4, r.loc) &&
          readFloats(base + ".conf.f32", priors * 2, r.conf) && readFloats(base + ".landms.f32", priors * 10, r.landms);
    reference_[i + 1] = std::move(r);
  }
  haveReference_ = all;
  if (!all) {
    reference_.clear();
    std::printf("     (../shared/data/reference/raw640 not found: replaying synthetic outputs only)\n");
  }
}

const Recording& Recordings::forImage(int id, InputSize size) {
  std::lock_guard<std::mutex> lock(mutex_);
  if (size.width == 640 && size.height == 640) {
    auto it = reference_.find(id);
    if (it != reference_.end()) return it->second;
  }
  const auto key = std::make_tuple(id, size.width, size.height);
  auto it = cache_.find(key);
  if (it == cache_.end()) it = cache_.emplace(key, synthetic(id, size)).first;
  return it->second;
}

std::vector<uint8_t> imageFor(int id, int width, int height) {
  std::vector<uint8_t> pixels(static_cast<size_t>(width) * static_cast<size_t>(height) * 3);
  for (size_t i = 0; i < pixels.size(); i += 3) {
    pixels[i] = static_cast<uint8_t>(id);            // R
    pixels[i + 1] = static_cast<uint8_t>(255 - id);  // G
    pixels[i + 2] = static_cast<uint8_t>(id);        // B: read back by the engine
  }
  return pixels;
}

PixelView viewOf(const std::vector<uint8_t>& pixels, int width, int height) {
  return PixelView{pixels.data(), width, height, 3, width * 3};
}

int idFromTensorValue(float blueMinusMean) { return static_cast<int>(std::lround(blueMinusMean + kMeanBgr[0])); }

std::vector<Face> expectedFaces(int id, int width, int height, std::optional<InputSize> canvas,
                                const PostprocessOptions& options) {
  const InputSize input = canvas ? *canvas : InputSize{width, height};
  const Letterbox letterbox = canvas ? computeLetterbox(width, height, input.width, input.height)
                                     : identityLetterbox(width, height);
  const Recording& r = Recordings::instance().forImage(id, input);
  const RawOutputs raw{r.loc.data(), r.conf.data(), r.landms.data()};
  return postprocessImage(raw, makePriors(input.width, input.height), letterbox, options);
}

// ---------------------------------------------------------------------------------------------------------------

void FakeStream::enqueue(std::function<void()> work) {
  std::lock_guard<std::mutex> lock(mutex_);
  work_.push_back(std::move(work));
}

void FakeStream::synchronize() {
  std::exception_ptr first;
  for (;;) {
    std::function<void()> work;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (work_.empty()) break;
      work = std::move(work_.front());
      work_.pop_front();
    }
    // Like a stream after a failed kernel: later work still "completes" (fences fire), the error is reported once.
    try {
      work();
    } catch (...) {
      if (!first) first = std::current_exception();
    }
  }
  if (first) std::rethrow_exception(first);
}

size_t FakeStream::pending() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return work_.size();
}

void StreamFence::arm(FakeStream& stream) {
  uint64_t ticket;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    ticket = ++armed_;
    reached_ = false;
  }
  stream.enqueue([this, ticket] {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (ticket > signalled_) signalled_ = ticket;
      reached_ = signalled_ == armed_;
    }
    changed_.notify_all();
  });
}

bool StreamFence::reached() {
  std::lock_guard<std::mutex> lock(mutex_);
  return reached_;
}

void StreamFence::wait() {
  std::unique_lock<std::mutex> lock(mutex_);
  changed_.wait(lock, [&] { return reached_; });
}

void FakeBehaviour::release() {
  {
    std::lock_guard<std::mutex> lock(gateMutex);
    holdCollect = false;
  }
  gate.notify_all();
}

void FakeBehaviour::awaitCollectsWaiting(int n) {
  std::unique_lock<std::mutex> lock(gateMutex);
  gate.wait(lock, [&] { return collectsWaiting.load() >= n; });
}

// ---------------------------------------------------------------------------------------------------------------

FakeLaneDevice::FakeLaneDevice(const LaneLimits& limits, cuda::SlotPool& pinned,
                               std::vector<std::vector<uint8_t>>& slots, std::vector<StreamFence*>& fences,
                               FakeBehaviour& behaviour)
    : limits_(limits), pinned_(pinned), slots_(slots), fences_(fences), behaviour_(behaviour) {
  const size_t batch = static_cast<size_t>(limits.maxBatch);
  const size_t pixels = static_cast<size_t>(limits.maxInput.width) * static_cast<size_t>(limits.maxInput.height);
  const size_t priors = static_cast<size_t>(priorCount(limits.maxInput.width, limits.maxInput.height));
  input_.resize(batch * 3 * pixels);
  loc_.resize(batch * priors * 4);
  conf_.resize(batch * priors * 2);
  landms_.resize(batch * priors * 10);
  results_.resize(batch);
  ++behaviour_.devicesAlive;
}

FakeLaneDevice::~FakeLaneDevice() {
  drain();
  --behaviour_.devicesAlive;
}

TensorBindings FakeLaneDevice::tensors() {
  return TensorBindings{input_.data(), loc_.data(), conf_.data(), landms_.data()};
}

void FakeLaneDevice::enqueuePreprocess(const std::vector<PixelView>& images, const std::vector<Letterbox>& letterboxes,
                                       InputSize input) {
  markBusy(true);
  const int busy = behaviour_.lanesBusy.load();
  for (int seen = behaviour_.maxLanesBusy.load();
       busy > seen && !behaviour_.maxLanesBusy.compare_exchange_weak(seen, busy);) {
  }
  for (const PixelView& image : images) {
    if (image.data[2] == behaviour_.failPreprocessForId.load())
      throw CodedError(codes::kInferenceFailed, "fake preprocess failure");
  }
  cuda::BatchLayout layout;
  try {
    layout = cuda::planBatch(images, letterboxes);
  } catch (const std::invalid_argument& e) {
    throw CodedError(codes::kInvalidArgument, e.what());
  }
  letterboxes_ = letterboxes;
  const int slot = pinned_.acquire();
  std::vector<uint8_t>& memory = slots_[static_cast<size_t>(slot)];
  if (layout.totalBytes <= memory.size()) {
    cuda::packBatch(layout, images, memory.data(), memory.size());
    // The "host-to-device copy": runs on the stream, like cudaMemcpyAsync from the pinned slot.
    const size_t bytes = layout.totalBytes;
    stream_.enqueue(
        [this, &memory, bytes] { uploaded_.assign(memory.begin(), memory.begin() + static_cast<long>(bytes)); });
    fences_[static_cast<size_t>(slot)]->arm(stream_);
    pinned_.submit(slot);
  } else {
    // Too big for a slot: copied straight from the caller's memory (the CUDA lane's pageable path).
    pinned_.release(slot);
    std::vector<uint8_t> direct(layout.totalBytes);
    cuda::packBatch(layout, images, direct.data(), direct.size());
    stream_.enqueue([this, direct = std::move(direct)] { uploaded_ = direct; });
  }
  const size_t plane = static_cast<size_t>(input.width) * static_cast<size_t>(input.height);
  stream_.enqueue([this, geometry = layout.images, boxes = letterboxes, plane] {
    for (size_t i = 0; i < geometry.size(); ++i) {
      const cuda::ImageGeometry& g = geometry[i];
      const PixelView view{uploaded_.data() + g.pixelOffset, g.width, g.height, g.channels, g.rowStride};
      letterboxToTensor(view, boxes[i], input_.data() + i * 3 * plane);
    }
  });
}

void FakeLaneDevice::enqueuePostprocess(int batch, InputSize input, const PostprocessOptions& options) {
  stream_.enqueue([this, batch, input, options, boxes = letterboxes_] {
    const std::vector<Prior> priors = makePriors(input.width, input.height);
    const size_t n = priors.size();
    for (size_t b = 0; b < static_cast<size_t>(batch); ++b) {
      const RawOutputs raw{loc_.data() + b * n * 4, conf_.data() + b * n * 2, landms_.data() + b * n * 10};
      results_[b] = postprocessImage(raw, priors, boxes[b], options);
    }
  });
}

void FakeLaneDevice::collect(int batch, DetectResult& result) {
  if (behaviour_.holdCollect.load()) {
    std::unique_lock<std::mutex> lock(behaviour_.gateMutex);
    ++behaviour_.collectsWaiting;
    behaviour_.gate.notify_all();
    behaviour_.gate.wait(lock, [&] { return !behaviour_.holdCollect.load(); });
    --behaviour_.collectsWaiting;
  }
  stream_.synchronize();  // the one wait per batch
  for (int b = 0; b < batch; ++b) {
    const std::vector<Face>& faces = results_[static_cast<size_t>(b)];
    result.counts.push_back(static_cast<int32_t>(faces.size()));
    for (const Face& face : faces) {
      const float* f = reinterpret_cast<const float*>(&face);
      result.faces.insert(result.faces.end(), f, f + kFaceFloats);
    }
  }
  markBusy(false);
}

void FakeLaneDevice::drain() noexcept {
  try {
    stream_.synchronize();
  } catch (...) {
  }
  markBusy(false);
}

void FakeLaneDevice::markBusy(bool busy) {
  if (busy == busy_) return;
  busy_ = busy;
  if (busy) {
    ++behaviour_.lanesBusy;
  } else {
    --behaviour_.lanesBusy;
  }
}

// ---------------------------------------------------------------------------------------------------------------

namespace {

class ReplayContext : public ExecutionContext {
 public:
  explicit ReplayContext(FakeBehaviour& behaviour) : behaviour_(behaviour) { ++behaviour_.contextsAlive; }
  ~ReplayContext() override { --behaviour_.contextsAlive; }

  void enqueue(const InferenceCall& call, void* stream) override {
    const int priors = priorCount(call.size.width, call.size.height);
    const int produced = priors + behaviour_.extraPriors.load();
    checkOutputShape("loc", {call.batch, produced, 4}, call.batch, priors, 4);
    ++behaviour_.enqueues;
    FakeBehaviour* behaviour = &behaviour_;
    static_cast<FakeStream*>(stream)->enqueue([call, priors, behaviour] {
      const size_t plane = static_cast<size_t>(call.size.width) * static_cast<size_t>(call.size.height);
      const size_t n = static_cast<size_t>(priors);
      for (size_t b = 0; b < static_cast<size_t>(call.batch); ++b) {
        const int id = idFromTensorValue(static_cast<const float*>(call.tensors.input)[b * 3 * plane]);
        if (id == behaviour->failEngineForId.load())
          throw CodedError(codes::kInferenceFailed, "fake asynchronous engine failure");
        const Recording& r = Recordings::instance().forImage(id, call.size);
        std::copy(r.loc.begin(), r.loc.end(), call.tensors.loc + b * n * 4);
        std::copy(r.conf.begin(), r.conf.end(), call.tensors.conf + b * n * 2);
        std::copy(r.landms.begin(), r.landms.end(), call.tensors.landms + b * n * 10);
      }
    });
  }

 private:
  FakeBehaviour& behaviour_;
};

}  // namespace

ReplayEngine::ReplayEngine(const ShapeProfile& profile, FakeBehaviour& behaviour) : behaviour_(behaviour) {
  description_.profile = profile;
  description_.tensors = {{"input0", true, TensorType::Float32, {-1, 3, -1, -1}},
                          {"loc", false, TensorType::Float32, {-1, -1, 4}},
                          {"conf", false, TensorType::Float32, {-1, -1, 2}},
                          {"landms", false, TensorType::Float32, {-1, -1, 10}}};
  ++behaviour_.enginesAlive;
}

ReplayEngine::~ReplayEngine() { --behaviour_.enginesAlive; }

std::unique_ptr<ExecutionContext> ReplayEngine::createContext() { return std::make_unique<ReplayContext>(behaviour_); }

FakePlatform::FakePlatform(FakeBehaviour& behaviour, int slots, size_t slotBytes) : behaviour_(behaviour) {
  std::vector<std::unique_ptr<cuda::SlotFence>> fences;
  for (int i = 0; i < slots; ++i) {
    slots_.emplace_back(slotBytes);
    auto fence = std::make_unique<StreamFence>();
    fences_.push_back(fence.get());
    fences.push_back(std::move(fence));
  }
  pool_ = std::make_unique<cuda::SlotPool>(std::move(fences));
}

GpuIdentity FakePlatform::identity() {
  if (noGpu) throw CodedError(codes::kBackendUnavailable, "no CUDA GPU (fake)");
  GpuIdentity gpu;
  gpu.name = "Fake GPU";
  gpu.uuid = "GPU-00000000-0000-0000-0000-000000000fa7";
  gpu.major = 8;
  gpu.minor = 9;
  gpu.totalMemory = 1ULL << 34;
  return gpu;
}

std::unique_ptr<LaneDevice> FakePlatform::createLane(const LaneLimits& limits) {
  return std::make_unique<FakeLaneDevice>(limits, *pool_, slots_, fences_, behaviour_);
}

BuildResult FakeRuntime::build(const BuildRequest& request, BuildMonitor* monitor) {
  {
    std::lock_guard<std::mutex> lock(mutex);
    timingCacheSizesSeen.push_back(request.timingCache.size());
  }
  if (failBuild) throw CodedError(codes::kModelInvalid, "the ONNX parser rejected the model: fake");
  if (monitor) {
    monitor->phaseStart("Building engine", "", 2);
    for (int step = 0; step < 2; ++step) {
      if (!monitor->stepComplete("Building engine", step)) {
        monitor->phaseFinish("Building engine");
        throw CodedError(codes::kDetectorClosed, "the engine build was cancelled");
      }
    }
    monitor->phaseFinish("Building engine");
  }
  ++builds;
  const ShapeProfile& p = request.profile;
  std::ostringstream plan;
  plan << "REPLAYPLAN " << p.maxBatch << " " << p.optBatch << " " << p.min.width << " " << p.min.height << " "
       << p.opt.width << " " << p.opt.height << " " << p.max.width << " " << p.max.height;
  BuildResult result;
  const std::string text = plan.str();
  result.plan.assign(text.begin(), text.end());
  const std::string timing = "TIMING" + std::to_string(builds.load());
  result.timingCache.assign(timing.begin(), timing.end());
  return result;
}

std::unique_ptr<Engine> FakeRuntime::load(const uint8_t* plan, size_t size) {
  ShapeProfile p;
  const std::string text(reinterpret_cast<const char*>(plan), size);
  if (std::sscanf(text.c_str(), "REPLAYPLAN %d %d %d %d %d %d %d %d", &p.maxBatch, &p.optBatch, &p.min.width,
                  &p.min.height, &p.opt.width, &p.opt.height, &p.max.width, &p.max.height) != 8)
    throw CodedError(codes::kInferenceFailed, "TensorRT could not deserialize the engine (fake)");
  ++loads;
  return std::make_unique<ReplayEngine>(p, behaviour_);
}

}  // namespace trtfake
