// LayerRuntime through the C ABI of a fake TensorRT layer: build request and progress, plan loading, tensor
// description and profile, the output check before enqueue, status-to-code mapping, and a whole session on it.
#include <dlfcn.h>

#include <cstring>
#include <functional>
#include <future>
#include <string>
#include <vector>

#include "core/coded_error.h"
#include "core/priors.h"
#include "harness.h"
#include "trt/layer/layer_loader.h"
#include "trt/layer/layer_runtime.h"
#include "trt/pipeline/detector_session.h"
#include "trt_fakes.h"
#include "trt_test_support.h"

using namespace retinaface;
using namespace retinaface::trt;
using trttest::codeOf;

namespace {

const std::string kLayerDir = std::string(RETINAFACE_TRT_TEST_LAYERS) + "/ok";

const RfTrtApi* fakeApi() {
  static const RfTrtApi* api = loadTensorRtLayer(kLayerDir, {10}).api;
  return api;
}

int enqueueCount() {
  void* handle = ::dlopen((kLayerDir + "/libretinaface_trt10.so").c_str(), RTLD_NOW | RTLD_NOLOAD);
  if (!handle) return -1;
  auto count = reinterpret_cast<int32_t (*)()>(::dlsym(handle, "fake_layer_enqueue_count"));
  const int value = count ? count() : -1;
  ::dlclose(handle);
  return value;
}

std::vector<uint8_t> bytes(const std::string& text) { return std::vector<uint8_t>(text.begin(), text.end()); }

struct CountingMonitor : BuildMonitor {
  int phases = 0, steps = 0, finishes = 0;
  int stopAt = -1;
  void phaseStart(const std::string&, const std::string&, int) override { ++phases; }
  bool stepComplete(const std::string&, int step) override {
    ++steps;
    return step != stopAt;
  }
  void phaseFinish(const std::string&) override { ++finishes; }
};

BuildRequest request(const std::vector<uint8_t>& onnx) {
  BuildRequest r;
  r.onnx = &onnx;
  r.precision = Precision::Fp16;
  r.profile = ShapeProfile{4, 2, {32, 32}, {64, 64}, {128, 128}};
  r.workspaceBytes = 1 << 20;
  return r;
}

}  // namespace

TEST(trt_layer_runtime_builds_and_describes_through_the_c_abi) {
  CHECK(fakeApi() != nullptr);
  if (!fakeApi()) return;
  LayerRuntime runtime(fakeApi());
  CHECK_EQ(runtime.version(), std::string("10.16.1"));
  const std::vector<uint8_t> onnx = bytes("retinaface");
  CountingMonitor monitor;
  const BuildResult built = runtime.build(request(onnx), &monitor);
  CHECK_EQ(std::string(built.plan.begin(), built.plan.end()),
           std::string("FAKEPLAN retinaface 4 2 32 32 64 64 128 128"));
  CHECK_EQ(std::string(built.timingCache.begin(), built.timingCache.end()), std::string("TIMING 0"));
  CHECK_EQ(monitor.phases, 1);
  CHECK_EQ(monitor.steps, 3);
  CHECK_EQ(monitor.finishes, 1);

  std::unique_ptr<Engine> engine = runtime.load(built.plan.data(), built.plan.size());
  const EngineDescription& d = engine->description();
  CHECK_EQ(d.tensors.size(), 4u);
  CHECK_EQ(d.profile.maxBatch, 4);
  CHECK_EQ(d.profile.optBatch, 2);
  CHECK(d.profile.min == (InputSize{32, 32}));
  CHECK(d.profile.opt == (InputSize{64, 64}));
  CHECK(d.profile.max == (InputSize{128, 128}));
}

TEST(trt_layer_runtime_runs_a_context_on_host_buffers) {
  if (!fakeApi()) return;
  LayerRuntime runtime(fakeApi());
  const std::vector<uint8_t> onnx = bytes("retinaface");
  const BuildResult built = runtime.build(request(onnx), nullptr);
  std::unique_ptr<Engine> engine = runtime.load(built.plan.data(), built.plan.size());
  std::unique_ptr<ExecutionContext> context = engine->createContext();
  const int priors = priorCount(64, 48);
  std::vector<float> input(2 * 3 * 64 * 48), loc(2 * priors * 4, -1.f), conf(2 * priors * 2, -1.f),
      landms(2 * priors * 10, -1.f);
  InferenceCall call;
  call.batch = 2;
  call.size = {64, 48};
  call.tensors = {input.data(), loc.data(), conf.data(), landms.data()};
  const int before = enqueueCount();
  context->enqueue(call, nullptr);
  CHECK_EQ(enqueueCount(), before + 1);
  CHECK_EQ(conf[1], 0.75f);                       // the "593" tensor landed in the conf buffer
  CHECK_EQ(conf[conf.size() - 1], 0.75f);
  CHECK_EQ(loc[0], 0.0f);
  CHECK_EQ(landms[landms.size() - 1], 0.0f);

  call.batch = 5;  // beyond the profile: refused by the layer, reported as an argument error
  CHECK_EQ(codeOf([&] { context->enqueue(call, nullptr); }), std::string(codes::kInvalidArgument));
}

TEST(trt_layer_runtime_checks_outputs_before_enqueueing) {
  if (!fakeApi()) return;
  LayerRuntime runtime(fakeApi());
  const std::vector<uint8_t> onnx = bytes("priors+1");
  const BuildResult built = runtime.build(request(onnx), nullptr);
  std::unique_ptr<Engine> engine = runtime.load(built.plan.data(), built.plan.size());
  std::unique_ptr<ExecutionContext> context = engine->createContext();
  std::vector<float> buffer(1 << 16);
  InferenceCall call;
  call.batch = 1;
  call.size = {64, 64};
  call.tensors = {buffer.data(), buffer.data(), buffer.data(), buffer.data()};
  const int before = enqueueCount();
  CHECK_EQ(codeOf([&] { context->enqueue(call, nullptr); }), std::string(codes::kModelOutputMismatch));
  CHECK_EQ(enqueueCount(), before);  // nothing was enqueued
}

TEST(trt_layer_runtime_maps_failures_to_codes) {
  if (!fakeApi()) return;
  LayerRuntime runtime(fakeApi());
  const std::vector<uint8_t> invalid = bytes("invalid");
  CHECK_EQ(codeOf([&] { runtime.build(request(invalid), nullptr); }), std::string(codes::kModelInvalid));
  const std::vector<uint8_t> onnx = bytes("retinaface");
  CountingMonitor stopping;
  stopping.stopAt = 1;
  CHECK_EQ(codeOf([&] { runtime.build(request(onnx), &stopping); }), std::string(codes::kDetectorClosed));
  CHECK_EQ(stopping.finishes, 1);
  const std::vector<uint8_t> garbage = bytes("garbage");
  CHECK_EQ(codeOf([&] { runtime.load(garbage.data(), garbage.size()); }), std::string(codes::kInferenceFailed));
}

TEST(trt_session_runs_end_to_end_over_the_c_abi) {
  if (!fakeApi()) return;
  trttest::TempDir dir;
  trtfake::FakeBehaviour behaviour;
  SessionConfig config;
  config.onnx = bytes("retinaface");
  config.profile = ShapeProfile::fixed({64, 64}, 2);
  config.cacheDir = dir.path();
  config.streams = 2;
  auto session = DetectorSession::open(config, std::make_shared<LayerRuntime>(fakeApi()),
                                       std::make_shared<trtfake::FakePlatform>(behaviour), nullptr);
  CHECK_EQ(session->info().roles.conf, std::string("593"));
  CHECK_EQ(session->info().tensorrtVersion, std::string("10.16.1"));
  const std::vector<uint8_t> pixels = trtfake::imageFor(9, 100, 80);
  std::promise<DetectOutcome> done;
  DetectRequest r;
  r.images = {trtfake::viewOf(pixels, 100, 80), trtfake::viewOf(pixels, 100, 80)};
  r.canvas = InputSize{64, 64};
  r.options.scoreThreshold = 0.5f;
  r.options.maxFaces = 3;
  session->submit(std::move(r), [&](DetectOutcome&& outcome) { done.set_value(std::move(outcome)); });
  DetectOutcome outcome = done.get_future().get();
  CHECK(outcome.ok);
  CHECK_EQ(outcome.result.counts.size(), 2u);
  CHECK_EQ(outcome.result.counts[0], 3);  // every prior scores 0.75; the cap keeps 3
  session->close(CloseMode::Drain);
}
