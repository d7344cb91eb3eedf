// The real TensorRT layer (libretinaface_trt<N>.so), loader, LayerRuntime, engine cache and provider, run through
// the TensorRT stand-in (build/trt-standin/<N>: fake libnvinfer.so.N + libnvonnxparser.so.N compiled against the
// same headers, native/tests/trt_standin). The stand-in logs every call and object lifetime; the cases read that
// log. Everything up to device memory runs here; enqueueV3 writes the reference raw outputs into host buffers.
#include <fcntl.h>
#include <signal.h>
#include <sys/file.h>
#include <sys/wait.h>
#include <sys/stat.h>
#include <unistd.h>

#include <cstdlib>
#include <cstring>
#include <fstream>
#include <sstream>
#include <string>
#include <vector>

#include "harness.h"
#include "trt/cache/engine_events.h"
#include "trt/cache/engine_file.h"
#include "trt/cache/engine_key.h"
#include "trt/cache/engine_provider.h"
#include "trt/cache/sha256.h"
#include "trt/layer/layer_loader.h"
#include "trt/layer/layer_runtime.h"
#include "trt/probe/availability.h"
#include "trt_test_support.h"

using namespace retinaface::trt;
using codedtest::errorOf;
using trttest::codeOf;

namespace {

const std::string kLog = "/tmp/retinaface-standin-" + std::to_string(STANDIN_MAJOR) + "-" + std::to_string(::getpid()) +
                         ".log";

// Before anything loads: the product finds the stand-in only through RETINAFACE_TENSORRT_LIB_DIR (not on the
// loader's path), as a user's unpacked TensorRT tar would be.
const bool kEnvironment = [] {
  ::setenv("RETINAFACE_TENSORRT_LIB_DIR", STANDIN_DIR, 1);
  ::setenv("RETINAFACE_STANDIN_LOG", kLog.c_str(), 1);
  return true;
}();

void clearLog() { std::ofstream(kLog, std::ios::trunc); }

std::vector<std::string> logLines() {
  std::ifstream in(kLog);
  std::vector<std::string> lines;
  for (std::string line; std::getline(in, line);) lines.push_back(line);
  return lines;
}

// Index of the first log line starting with prefix, or -1.
int lineOf(const std::vector<std::string>& lines, const std::string& prefix, int from = 0) {
  for (int i = from; i < static_cast<int>(lines.size()); ++i)
    if (lines[i].rfind(prefix, 0) == 0) return i;
  return -1;
}

bool logged(const std::string& prefix) { return lineOf(logLines(), prefix) >= 0; }

const RfTrtApi* api() {
  static LayerProbe probe = loadTensorRtLayer(STANDIN_LAYER_DIR, {STANDIN_MAJOR});
  return probe.api;
}

// A few bytes that start like an ONNX ModelProto (field 1, varint): the stand-in parser does not read further.
std::vector<uint8_t> onnx(const std::string& tag = "model-a") {
  const std::string text = "\x08\x08" + tag;
  return std::vector<uint8_t>(text.begin(), text.end());
}

EngineCacheKey keyFor(const std::vector<uint8_t>& model, const std::string& gpu = "GPU-standin-0") {
  EngineCacheKey key;
  key.onnxSha256 = sha256Hex(model.data(), model.size());
  key.tensorrtVersion = tensorRtVersionText(api()->libraryVersion);
  key.tensorrtBuild = LayerRuntime(api()).buildIdentity();
  key.builderFlags = builderFlagsText(Precision::Fp16);
  key.gpuUuid = gpu;
  key.computeCapability = "8.9";
  key.precision = Precision::Fp16;
  key.profile = ShapeProfile{8, 4, {320, 320}, {640, 640}, {1024, 1024}};
  key.workspaceBytes = 1ULL << 28;
  return key;
}

struct Events : EngineObserver {
  std::vector<EngineEvent> seen;
  int stopAfterSteps = -1;
  int steps = 0;
  void onEvent(const EngineEvent& event) override {
    seen.push_back(event);
    if (event.kind == EngineEvent::Kind::StepCompleted) ++steps;
  }
  bool cancelled() const override { return stopAfterSteps >= 0 && steps >= stopAfterSteps; }
  bool has(EngineEvent::Kind kind, const std::string& text = "") const {
    for (const EngineEvent& e : seen)
      if (e.kind == kind && e.message.find(text) != std::string::npos) return true;
    return false;
  }
};

// Runs body with an environment variable set, restoring it afterwards.
template <typename Body>
void withEnv(const char* name, const std::string& value, Body body) {
  ::setenv(name, value.c_str(), 1);
  try {
    body();
  } catch (...) {
    ::unsetenv(name);
    throw;
  }
  ::unsetenv(name);
}

}  // namespace

TEST(standin_layer_loads_through_lib_dir) {
  CHECK(kEnvironment);
  const RfTrtApi* loaded = api();
  CHECK(loaded != nullptr);
  if (!loaded) return;
  CHECK_EQ(loaded->libraryVersion, STANDIN_VERSION);
  CHECK_EQ(loaded->compiledVersion, STANDIN_VERSION);
  CHECK(std::string(loaded->libraryPath).find(STANDIN_DIR) == 0);
}

TEST(standin_build_serialize_cache_hit_and_destruction_order) {
  trttest::TempDir cache;
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx();
  const EngineCacheKey key = keyFor(model);
  clearLog();
  Events first;
  {
    ProvidedEngine provided = provideEngine(runtime, key, cache.path(), model, &first);
    CHECK(provided.built);
    CHECK(first.has(EngineEvent::Kind::CacheWritten));
    CHECK_EQ(provided.engine->description().profile.maxBatch, 8);
    CHECK_EQ(provided.engine->description().profile.max.width, 1024);
    CHECK_EQ(provided.engine->description().tensors.size(), 4u);
  }
  std::vector<std::string> lines = logLines();
  // Factories get the version the layer was compiled against; strongly typed networks on 10, no flag on 11.
  CHECK(lineOf(lines, "call createInferBuilder_INTERNAL version=") >= 0);
  CHECK(lineOf(lines, STANDIN_MAJOR >= 11 ? "call VBuilder::createNetworkV2 flags=0"
                                          : "call VBuilder::createNetworkV2 flags=2") >= 0);
  CHECK(lineOf(lines, "call VBuilder::buildSerializedNetwork tf32=1 workspace=268435456") >= 0);
  CHECK(lineOf(lines, "call VOptimizationProfile::setDimensions input 2 [8,3,1024,1024]") >= 0);
  // The parser outlives the build; everything the build created is destroyed.
  const int build = lineOf(lines, "call VBuilder::buildSerializedNetwork");
  CHECK(lineOf(lines, "destroy Parser") > build);
  CHECK(lineOf(lines, "destroy Network") > lineOf(lines, "destroy Parser"));
  CHECK(lineOf(lines, "destroy Builder#") > lineOf(lines, "destroy Network"));
  // The engine: its runtime must outlive it.
  CHECK(lineOf(lines, "destroy Runtime") > lineOf(lines, "destroy CudaEngine"));

  clearLog();
  Events second;
  ProvidedEngine again = provideEngine(runtime, key, cache.path(), model, &second);
  CHECK(!again.built);
  CHECK(second.has(EngineEvent::Kind::CacheHit));
  CHECK(!logged("call createInferBuilder_INTERNAL"));
  CHECK(logged("call VRuntime::deserializeCudaEngine"));
}

TEST(standin_cache_invalidation_other_version_gpu_corrupt) {
  trttest::TempDir cache;
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx();
  const EngineCacheKey key = keyFor(model);
  Events built;
  const std::string path = provideEngine(runtime, key, cache.path(), model, &built).path;
  // Another GPU: another key, another file; this one stays.
  Events other;
  ProvidedEngine otherGpu = provideEngine(runtime, keyFor(model, "GPU-standin-1"), cache.path(), model, &other);
  CHECK(otherGpu.built);
  CHECK(otherGpu.path != path);
  // A plan the library no longer accepts (another TensorRT build under the same key): rebuilt, not trusted.
  withEnv("RETINAFACE_STANDIN_VERSION", std::to_string(STANDIN_VERSION + 1), [&] {
    Events events;
    ProvidedEngine rebuilt = provideEngine(runtime, key, cache.path(), model, &events);
    CHECK(rebuilt.built);
    CHECK(rebuilt.rebuildReason.find("TensorRT could not deserialize it") != std::string::npos);
    CHECK(rebuilt.rebuildReason.find("not compatible with this version of TensorRT") != std::string::npos);
  });
  // Corrupt bytes: the checksum refuses them before TensorRT sees them.
  {
    Events events;
    provideEngine(runtime, key, cache.path(), model, &events);  // rewrite for this version
    std::fstream file(path, std::ios::in | std::ios::out | std::ios::binary);
    file.seekp(-3, std::ios::end);
    file.write("XYZ", 3);
  }
  clearLog();
  Events events;
  ProvidedEngine repaired = provideEngine(runtime, key, cache.path(), model, &events);
  CHECK(repaired.built);
  CHECK(events.has(EngineEvent::Kind::CacheRejected, "checksum"));
  CHECK(lineOf(logLines(), "call VRuntime::deserializeCudaEngine") >
        lineOf(logLines(), "call VBuilder::buildSerializedNetwork"));
}

TEST(standin_context_shapes_addresses_and_enqueue) {
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx();
  BuildRequest request;
  request.onnx = &model;
  request.profile = ShapeProfile{8, 4, {320, 320}, {640, 640}, {1024, 1024}};
  const BuildResult built = runtime.build(request, nullptr);
  std::unique_ptr<Engine> engine = runtime.load(built.plan.data(), built.plan.size());
  clearLog();
  {
    std::unique_ptr<ExecutionContext> context = engine->createContext();
    CHECK(logged("call VCudaEngine::createExecutionContext"));
    const int priors = 16800;  // 640x640
    std::vector<float> input(3 * 640 * 640), loc(priors * 4, -1.0f), conf(priors * 2, -1.0f),
        landms(priors * 10, -1.0f);
    InferenceCall call;
    call.batch = 1;
    call.size = {640, 640};
    call.tensors = {input.data(), loc.data(), conf.data(), landms.data()};
    // No device behind the stand-in: enqueueV3 fails after every shape and address is set, with TensorRT's words.
    const std::string failure = errorOf([&] { context->enqueue(call, nullptr); });
    CHECK(failure.find("INFERENCE_FAILED") == 0);
    CHECK(failure.find("no CUDA device behind the stand-in") != std::string::npos);
    const std::vector<std::string> lines = logLines();
    CHECK(lineOf(lines, "call VExecutionContext::setInputShape input [1,3,640,640]") >= 0);
    for (const char* name : {"input", "loc", "conf", "landms"})
      CHECK(lineOf(lines, std::string("call VExecutionContext::setTensorAddress ") + name) >= 0);
    CHECK(lineOf(lines, "call VExecutionContext::enqueueV3 [1,3,640,640] addresses=4") >= 0);
    // With the reference outputs, enqueueV3 writes them (host buffers here; device buffers on a GPU).
    const std::string raw = std::string(RETINAFACE_SOURCE_DIR) + "/../shared/data/reference/raw640/fr_two_people";
    withEnv("RETINAFACE_STANDIN_RAW640", raw, [&] {
      context->enqueue(call, nullptr);
      std::ifstream in(raw + ".conf.f32", std::ios::binary);
      std::vector<float> expected(priors * 2);
      in.read(reinterpret_cast<char*>(expected.data()), static_cast<std::streamsize>(expected.size() * 4));
      CHECK(in.good());
      CHECK(conf == expected);
      CHECK(loc[0] != -1.0f && landms[0] != -1.0f);
    });
    // Out of the profile: refused before anything is enqueued, TensorRT's message kept.
    call.size = {1280, 1280};
    const std::string outside = errorOf([&] { context->enqueue(call, nullptr); });
    CHECK(outside.find("INVALID_ARGUMENT") == 0);
    CHECK(outside.find("optimization profile") != std::string::npos);
  }
  engine.reset();
  const std::vector<std::string> lines = logLines();
  CHECK(lineOf(lines, "destroy ExecutionContext") >= 0);
  CHECK(lineOf(lines, "destroy CudaEngine") > lineOf(lines, "destroy ExecutionContext"));
  CHECK(lineOf(lines, "destroy Runtime") > lineOf(lines, "destroy CudaEngine"));
}

TEST(standin_cancelled_build) {
  trttest::TempDir cache;
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx("cancel");
  clearLog();
  withEnv("RETINAFACE_STANDIN_BUILD_STEPS", "10", [&] {
    Events events;
    events.stopAfterSteps = 2;
    CHECK_EQ(codeOf([&] { provideEngine(runtime, keyFor(model), cache.path(), model, &events); }),
             std::string("DETECTOR_CLOSED"));
    CHECK(events.steps <= 3);
  });
  CHECK(logged("build-cancelled"));
  CHECK(trttest::listFiles(cache.path()).empty() || trttest::listFiles(cache.path()).size() <= 1);
}

TEST(standin_parser_error_names_node_and_operator) {
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx();
  BuildRequest request;
  request.onnx = &model;
  request.profile = ShapeProfile::fixed({640, 640}, 1);
  withEnv("RETINAFACE_STANDIN_PARSER_ERROR", "Conv_17:Conv:kernel weights are not an initializer", [&] {
    const std::string error = errorOf([&] { runtime.build(request, nullptr); });
    CHECK(error.find("MODEL_INVALID") == 0);
    CHECK(error.find("kernel weights are not an initializer (node Conv_17, Conv)") != std::string::npos);
  });
  const std::vector<uint8_t> garbage = {'n', 'o', 't'};
  request.onnx = &garbage;
  const std::string error = errorOf([&] { runtime.build(request, nullptr); });
  CHECK(error.find("MODEL_INVALID") == 0);
  CHECK(error.find("not a ModelProto") != std::string::npos);
}

// ------------------------------------------------------------------------------------------------- audit findings

TEST(audit_builder_resource_preloaded_from_lib_dir) {
  // The stand-in, like libnvinfer, dlopens libnvinfer_builder_resource.so.<version> by bare name while building; the
  // stand-in folder is not on the loader's path, so only the layer's preload from that folder lets the build work.
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx("resource");
  BuildRequest request;
  request.onnx = &model;
  request.profile = ShapeProfile::fixed({640, 640}, 1);
  CHECK_EQ(errorOf([&] { runtime.build(request, nullptr); }), std::string("none"));
  std::ifstream maps("/proc/self/maps");
  const std::string text((std::istreambuf_iterator<char>(maps)), std::istreambuf_iterator<char>());
  CHECK(text.find(std::string(STANDIN_DIR) + "/" + STANDIN_RESOURCE) != std::string::npos);
}

TEST(audit_half_outputs_refused_before_building) {
  trttest::TempDir cache;
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx("half-outputs");
  clearLog();
  withEnv("RETINAFACE_STANDIN_OUTPUT_TYPE", "half", [&] {
    Events events;
    const std::string error = errorOf([&] { provideEngine(runtime, keyFor(model), cache.path(), model, &events); });
    CHECK(error.find("MODEL_INVALID") == 0);
    CHECK(error.find("float16") != std::string::npos);
  });
  CHECK(!logged("call VBuilder::buildSerializedNetwork"));
  CHECK(trttest::listFiles(cache.path()).empty());
}

TEST(audit_cached_engine_with_wrong_roles_is_not_rebuilt) {
  // An engine file whose plan has float16 outputs (written by an older build): MODEL_INVALID, not a rebuild that
  // would produce the same engine again on every open.
  trttest::TempDir cache;
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx("half-cached");
  const EngineCacheKey key = keyFor(model);
  const std::string plan = "STANDIN-PLAN " + std::to_string(STANDIN_VERSION) +
                           "\ninput input float 4 -1 3 -1 -1 4 1 3 320 320 4 4 3 640 640 4 8 3 1024 1024\n"
                           "output loc half 3 -1 -1 4\noutput conf half 3 -1 -1 2\noutput landms half 3 -1 -1 10\n";
  const std::vector<uint8_t> file = encodeEngineFile(key.canonical(), reinterpret_cast<const uint8_t*>(plan.data()),
                                                     plan.size());
  std::ofstream(cache.path() + "/" + key.fileName(), std::ios::binary)
      .write(reinterpret_cast<const char*>(file.data()), static_cast<std::streamsize>(file.size()));
  clearLog();
  Events events;
  const std::string error = errorOf([&] { provideEngine(runtime, key, cache.path(), model, &events); });
  CHECK(error.find("MODEL_INVALID") == 0);
  CHECK(!logged("call VBuilder::buildSerializedNetwork"));
}

TEST(audit_static_onnx_profile_falls_back_to_static_shape) {
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx("static");
  withEnv("RETINAFACE_STANDIN_STATIC", "640x480", [&] {
    BuildRequest request;
    request.onnx = &model;
    request.profile = ShapeProfile::fixed({640, 480}, 1);
    const BuildResult built = runtime.build(request, nullptr);
    std::unique_ptr<Engine> engine = runtime.load(built.plan.data(), built.plan.size());
    const ShapeProfile& profile = engine->description().profile;
    CHECK_EQ(profile.maxBatch, 1);
    CHECK_EQ(profile.optBatch, 1);
    CHECK_EQ(profile.min.width, 640);
    CHECK_EQ(profile.min.height, 480);
    CHECK_EQ(profile.max.width, 640);
    CHECK_EQ(profile.max.height, 480);
  });
}

TEST(audit_timing_cache_outlives_config_and_builder) {
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx("timing");
  BuildRequest request;
  request.onnx = &model;
  request.profile = ShapeProfile::fixed({640, 640}, 1);
  clearLog();
  runtime.build(request, nullptr);
  const std::vector<std::string> lines = logLines();
  const int cache = lineOf(lines, "destroy TimingCache");
  CHECK(cache >= 0);
  CHECK(cache > lineOf(lines, "destroy BuilderConfig"));
  CHECK(cache > lineOf(lines, "destroy Builder#"));
}

TEST(audit_cache_key_tells_tensorrt_builds_and_flags_apart) {
  const std::vector<uint8_t> model = onnx();
  const EngineCacheKey key = keyFor(model);
  // The stand-in's libnvinfer: no CUDA major in its path, its size identifies the build.
  struct stat info{};
  CHECK(::stat((std::string(STANDIN_DIR) + "/libnvinfer.so." + std::to_string(STANDIN_MAJOR)).c_str(), &info) == 0);
  CHECK_EQ(key.tensorrtBuild, "cuda-unknown " + std::to_string(info.st_size) + " bytes");
  CHECK(key.canonical().find("format=retinaface-engine-key-2\n") == 0);
  CHECK(key.canonical().find("\ntensorrt_build=" + key.tensorrtBuild + "\n") != std::string::npos);
  CHECK(key.canonical().find("\nbuilder_flags=flags-2 strongly-typed\n") != std::string::npos);
  EngineCacheKey cuda13 = key;
  cuda13.tensorrtBuild = "cuda13 " + std::to_string(info.st_size) + " bytes";
  CHECK(cuda13.fileName() != key.fileName());
  EngineCacheKey fp32 = key;
  fp32.builderFlags = builderFlagsText(Precision::Fp32);
  CHECK_EQ(fp32.builderFlags, std::string("flags-2 strongly-typed no-tf32"));
  CHECK(fp32.digest() != key.digest());
}

// ------------------------------------------------------------------------------------ int8: the QDQ model's path

namespace {

EngineCacheKey keyFor(const std::vector<uint8_t>& model, Precision precision) {
  EngineCacheKey key = keyFor(model);
  key.precision = precision;
  key.builderFlags = builderFlagsText(precision);
  return key;
}

// The layer's warnings while body runs.
std::vector<std::string> warningsDuring(const std::function<void()>& body) {
  std::vector<std::string> warnings;
  const RfTrtLogFn collect = [](void* user, int32_t severity, const char* message) {
    if (severity == 2) static_cast<std::vector<std::string>*>(user)->push_back(message);
  };
  api()->setLogger(collect, &warnings);
  try {
    body();
  } catch (...) {
    api()->setLogger(nullptr, nullptr);
    throw;
  }
  api()->setLogger(nullptr, nullptr);
  return warnings;
}

bool mentions(const std::vector<std::string>& lines, const std::string& text) {
  for (const std::string& line : lines)
    if (line.find(text) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST(standin_int8_builds_strongly_typed_with_fp32_flags_and_no_precision_flag) {
  // What the layer does with precision int8 (the stand-in's parser does not read the ONNX; RETINAFACE_STANDIN_QDQ=1
  // gives the network the INT8 tensor a QDQ model's QuantizeLinear makes): a strongly typed network, TF32 cleared as
  // for fp32, no kFP16/kINT8 flag set, no calibrator (a call the stand-in does not implement would abort).
  CHECK_EQ(std::string(precisionName(parsePrecision("int8"))), std::string("int8"));
  trttest::TempDir cache;
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx("qdq");
  clearLog();
  std::vector<std::string> warnings;
  withEnv("RETINAFACE_STANDIN_QDQ", "1", [&] {
    warnings = warningsDuring([&] {
      Events events;
      ProvidedEngine provided = provideEngine(runtime, keyFor(model, Precision::Int8), cache.path(), model, &events);
      CHECK(provided.built);
      CHECK(provided.path.find("/retinaface-int8-") != std::string::npos);
      CHECK(events.has(EngineEvent::Kind::BuildStarted, "building the int8 TensorRT"));
      CHECK_EQ(provided.engine->description().tensors.size(), 4u);
    });
  });
  std::vector<std::string> lines = logLines();
  CHECK(lineOf(lines, STANDIN_MAJOR >= 11 ? "call VBuilder::createNetworkV2 flags=0"
                                          : "call VBuilder::createNetworkV2 flags=2") >= 0);
  CHECK(lineOf(lines, "call VBuilderConfig::clearFlag 6") >= 0);  // kTF32
  CHECK(lineOf(lines, "call VBuilderConfig::setFlag") < 0);
  CHECK(lineOf(lines, "call VBuilderConfig::setFlags") < 0);
  const int build = lineOf(lines, "call VBuilder::buildSerializedNetwork tf32=0 workspace=268435456");
  CHECK(build >= 0);
  if (build >= 0) {
    CHECK(lines[build].find(" flags=0 int8-tensors=1") != std::string::npos);
    const std::string int8Build = lines[build];
    // fp32 of the same model: the same builder flags.
    clearLog();
    BuildRequest request;
    request.onnx = &model;
    request.precision = Precision::Fp32;
    request.profile = ShapeProfile{8, 4, {320, 320}, {640, 640}, {1024, 1024}};
    request.workspaceBytes = 1ULL << 28;
    runtime.build(request, nullptr);
    const std::vector<std::string> fp32 = logLines();
    const int fp32Build = lineOf(fp32, "call VBuilder::buildSerializedNetwork");
    CHECK(fp32Build >= 0);
    if (fp32Build >= 0)
      CHECK(fp32[fp32Build].find(" tf32=0 ") != std::string::npos &&
            fp32[fp32Build].find(" flags=0 ") != std::string::npos);
  }
  CHECK(!mentions(warnings, "int8 was requested"));
  // A float model asked for as int8: built (it is a valid network) but the layer says nothing will run in INT8.
  const std::vector<uint8_t> floatModel = onnx("not-qdq");
  BuildRequest request;
  request.onnx = &floatModel;
  request.precision = Precision::Int8;
  request.profile = ShapeProfile::fixed({640, 640}, 1);
  const std::vector<std::string> floatWarnings = warningsDuring([&] { runtime.build(request, nullptr); });
  CHECK(mentions(floatWarnings, "int8 was requested but the ONNX has no INT8 (QuantizeLinear) tensors"));
}

TEST(standin_int8_and_fp32_engines_do_not_share_a_cache_entry) {
  trttest::TempDir cache;
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx("one-onnx-two-precisions");  // the same bytes under both precisions
  const EngineCacheKey int8 = keyFor(model, Precision::Int8);
  const EngineCacheKey fp32 = keyFor(model, Precision::Fp32);
  CHECK_EQ(int8.builderFlags, fp32.builderFlags);  // same flags: only the precision tells them apart
  CHECK(int8.canonical().find("\nprecision=int8\n") != std::string::npos);
  CHECK(int8.digest() != fp32.digest());
  CHECK(int8.fileName() != fp32.fileName());
  CHECK(int8.fileName().rfind("retinaface-int8-320x320-1024x1024-b8-sm89-", 0) == 0);
  withEnv("RETINAFACE_STANDIN_QDQ", "1", [&] {
    Events first;
    ProvidedEngine builtInt8 = provideEngine(runtime, int8, cache.path(), model, &first);
    CHECK(builtInt8.built);
    Events second;
    ProvidedEngine builtFp32 = provideEngine(runtime, fp32, cache.path(), model, &second);
    CHECK(builtFp32.built);  // not the int8 engine from the cache
    CHECK(builtFp32.path != builtInt8.path);
    Events third;
    ProvidedEngine again = provideEngine(runtime, int8, cache.path(), model, &third);
    CHECK(!again.built);
    CHECK(third.has(EngineEvent::Kind::CacheHit));
    CHECK_EQ(again.path, builtInt8.path);
  });
  int engines = 0;
  for (const std::string& name : trttest::listFiles(cache.path()))
    engines += name.size() > 7 && name.substr(name.size() - 7) == ".engine";
  CHECK_EQ(engines, 2);
  // An unknown precision stops at the argument check, before TensorRT is asked for anything.
  CHECK(errorOf([] { parsePrecision("bf16"); }).find("INVALID_ARGUMENT") == 0);
}

TEST(audit_logger_outlives_tensorrt_teardown) {
  // A process that built an engine exits; the stand-in then logs from its static teardown, as libnvinfer may, and
  // the call must reach a live logger. A regression guard, not a proof: the old function-local static passed it too
  // (its destructor is trivial in effect, so the dead object still answered); the fix is by construction.
  CHECK(api() != nullptr);
  clearLog();
  const pid_t child = ::fork();
  if (child == 0) {
    LayerRuntime runtime(api());
    const std::vector<uint8_t> model = onnx("teardown");
    BuildRequest request;
    request.onnx = &model;
    request.profile = ShapeProfile::fixed({640, 640}, 1);
    runtime.build(request, nullptr);
    ::setenv("RETINAFACE_STANDIN_TEARDOWN_LOG", "1", 1);
    std::exit(0);  // runs static destructors, unlike _exit
  }
  int status = 0;
  ::waitpid(child, &status, 0);
  CHECK(WIFEXITED(status));
  CHECK_EQ(WIFEXITED(status) ? WEXITSTATUS(status) : -1, 0);
  CHECK(logged("teardown-log-delivered"));
}

// ------------------------------------------------------------------------------------ many processes, one cache

TEST(four_processes_share_one_cache_and_build_once) {
  trttest::TempDir cache;
  const std::vector<uint8_t> model = onnx("four-processes");
  const EngineCacheKey key = keyFor(model);
  CHECK(api() != nullptr);  // loaded before forking: each child runs the same layer and stand-in
  clearLog();
  ::setenv("RETINAFACE_STANDIN_BUILD_STEPS", "6", 1);
  ::setenv("RETINAFACE_STANDIN_STEP_MS", "100", 1);  // a build of about 0.6 s: the others arrive while it runs
  std::vector<pid_t> children;
  for (int i = 0; i < 4; ++i) {
    const pid_t pid = ::fork();
    if (pid == 0) {
      int code = 1;
      try {
        LayerRuntime runtime(api());
        Events events;
        ProvidedEngine provided = provideEngine(runtime, key, cache.path(), model, &events);
        const bool waited = events.has(EngineEvent::Kind::CacheWaiting, "another process is building this engine");
        code = provided.built ? 10 : waited ? 20 : 30;  // 10 built, 20 waited then loaded, 30 plain cache hit
        if (provided.engine->description().tensors.size() != 4) code = 2;
      } catch (...) {
        code = 3;
      }
      ::_exit(code);
    }
    children.push_back(pid);
  }
  int built = 0, waited = 0, hits = 0, other = 0;
  for (pid_t pid : children) {
    int status = 0;
    ::waitpid(pid, &status, 0);
    const int code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
    code == 10 ? ++built : code == 20 ? ++waited : code == 30 ? ++hits : ++other;
  }
  ::unsetenv("RETINAFACE_STANDIN_BUILD_STEPS");
  ::unsetenv("RETINAFACE_STANDIN_STEP_MS");
  CHECK_EQ(built, 1);
  CHECK_EQ(other, 0);
  CHECK_EQ(waited + hits, 3);
  CHECK(waited >= 1);
  int builds = 0;
  for (const std::string& line : logLines()) builds += line.rfind("call VBuilder::buildSerializedNetwork", 0) == 0;
  CHECK_EQ(builds, 1);
  // One engine file, no temporary or lock file left behind.
  int engines = 0;
  for (const std::string& name : trttest::listFiles(cache.path())) {
    CHECK(name.find(".tmp") == std::string::npos);
    CHECK(name.find(".lock") == std::string::npos);
    engines += name.size() > 7 && name.substr(name.size() - 7) == ".engine";
  }
  CHECK_EQ(engines, 1);
}

TEST(a_held_lock_is_waited_for_bounded_then_built) {
  trttest::TempDir cache;
  LayerRuntime runtime(api());
  const std::vector<uint8_t> model = onnx("stuck-builder");
  const EngineCacheKey key = keyFor(model);
  // Another "process" holds the lock and never writes the engine: this one waits the bound, says so, then builds.
  const pid_t holder = ::fork();
  if (holder == 0) {
    const int fd = ::open((cache.path() + "/" + key.fileName() + ".lock").c_str(), O_RDWR | O_CREAT, 0644);
    ::flock(fd, LOCK_EX);
    ::sleep(5);
    ::_exit(0);
  }
  ::usleep(300 * 1000);
  ::setenv("RETINAFACE_ENGINE_LOCK_WAIT_S", "0.5", 1);
  Events events;
  ProvidedEngine provided = provideEngine(runtime, key, cache.path(), model, &events);
  ::unsetenv("RETINAFACE_ENGINE_LOCK_WAIT_S");
  ::kill(holder, SIGKILL);
  ::waitpid(holder, nullptr, 0);
  CHECK(provided.built);
  CHECK(events.has(EngineEvent::Kind::CacheWaiting, "waiting up to 0 s"));
  CHECK(provided.rebuildReason.find("did not finish within") != std::string::npos);
}
