// The fake libnvinfer.so.N: builder, network, config, profile, timing cache, runtime, engine and execution context,
// as the layer reaches them through TensorRT's real inline wrappers. The "plan" is a small text record of what was
// built (tensors, types, profile, library version), so a deserialized engine answers what the build was asked.
#include <dlfcn.h>

#include <atomic>
#include <chrono>
#include <cstring>
#include <fstream>
#include <memory>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "standin.h"

#define RF_STANDIN_STR2(x) #x
#define RF_STANDIN_STR(x) RF_STANDIN_STR2(x)
#define RF_STANDIN_VERSION_TEXT \
  RF_STANDIN_STR(NV_TENSORRT_MAJOR) "." RF_STANDIN_STR(NV_TENSORRT_MINOR) "." RF_STANDIN_STR(NV_TENSORRT_PATCH)
#include "trt_standin_interfaces.h"

using namespace nvinfer1;
using standin::record;

namespace {

std::atomic<int> objectCounter{0};

std::string dimsText(const Dims& d) {
  std::string text = "[";
  for (int i = 0; i < d.nbDims; ++i) text += (i ? "," : "") + std::to_string(d.d[i]);
  return text + "]";
}

Dims readDims(std::istream& in) {
  Dims d{};
  in >> d.nbDims;
  for (int i = 0; i < d.nbDims; ++i) in >> d.d[i];
  return d;
}

void writeDims(std::ostream& out, const Dims& d) {
  out << d.nbDims;
  for (int i = 0; i < d.nbDims; ++i) out << ' ' << d.d[i];
}

// An object whose creation and destruction are logged as "<create|destroy> <Kind>#<n>".
struct Tracked {
  explicit Tracked(const char* kind) : label(std::string(kind) + "#" + std::to_string(++objectCounter)) {
    record("create " + label);
  }
  ~Tracked() { record("destroy " + label); }
  std::string label;
};

ILogger* gLogger = nullptr;  // the logger given to the first factory call (TensorRT keeps the first one too)
void logError(const std::string& message) {
  if (gLogger) gLogger->log(ILogger::Severity::kERROR, message.c_str());
}

// Like libnvinfer, the stand-in may log while its own statics are torn down at process exit, long after the layer's
// statics are gone (RETINAFACE_STANDIN_TEARDOWN_LOG=1): the layer's logger must still be alive then.
struct TeardownLogger {
  ~TeardownLogger() {
    if (gLogger && standin::env("RETINAFACE_STANDIN_TEARDOWN_LOG") == "1") {
      gLogger->log(ILogger::Severity::kWARNING, "stand-in: logging during libnvinfer's teardown");
      record("teardown-log-delivered");
    }
  }
} teardownLogger;

// ---------------------------------------------------------------------------------------------------------- tensors
struct TensorImpl : apiv::standin::GenVTensor {
  std::string name;
  Dims dims{};
  DataType type = DataType::kFLOAT;
  char const* getName() const noexcept override { return name.c_str(); }
  void setName(char const* n) noexcept override { name = n; }
  Dims getDimensions() const noexcept override { return dims; }
  void setDimensions(Dims const& d) noexcept override { dims = d; }
  DataType getType() const noexcept override { return type; }
};
struct Tensor : ITensor {
  Tensor() { mImpl = &impl; }
  TensorImpl impl;
};

struct LayerImpl : apiv::standin::GenVLayer {
  std::vector<Tensor*> outputs;
  int32_t getNbOutputs() const noexcept override { return static_cast<int32_t>(outputs.size()); }
  ITensor* getOutput(int32_t index) const noexcept override {
    return index >= 0 && index < getNbOutputs() ? outputs[index] : nullptr;
  }
};
struct CastImpl : apiv::standin::GenVCastLayer {};
struct CastLayer : ICastLayer {
  CastLayer() {
    mLayer = &layer;
    mImpl = &cast;
  }
  LayerImpl layer;
  CastImpl cast;
};

// ---------------------------------------------------------------------------------------------------------- network
struct NetworkImpl : apiv::standin::GenVNetworkDefinition {
  std::vector<std::unique_ptr<Tensor>> tensors;
  std::vector<std::unique_ptr<CastLayer>> layers;
  std::vector<Tensor*> inputs, outputs;
  ITensor* addInput(char const* name, DataType type, Dims const& dims) noexcept override {
    record(std::string("call VNetworkDefinition::addInput ") + name + " " + dimsText(dims));
    tensors.push_back(std::make_unique<Tensor>());
    tensors.back()->impl.name = name;
    tensors.back()->impl.type = type;
    tensors.back()->impl.dims = dims;
    inputs.push_back(tensors.back().get());
    return tensors.back().get();
  }
  ICastLayer* addCast(ITensor& input, DataType toType) noexcept override {
    layers.push_back(std::make_unique<CastLayer>());
    tensors.push_back(std::make_unique<Tensor>());
    tensors.back()->impl.type = toType;
    tensors.back()->impl.dims = input.getDimensions();
    layers.back()->layer.outputs.push_back(tensors.back().get());
    return layers.back().get();
  }
  void markOutput(ITensor& tensor) noexcept override {
    record(std::string("call VNetworkDefinition::markOutput ") + tensor.getName());
    outputs.push_back(static_cast<Tensor*>(&tensor));
  }
  int32_t getNbInputs() const noexcept override { return static_cast<int32_t>(inputs.size()); }
  ITensor* getInput(int32_t i) const noexcept override { return i >= 0 && i < getNbInputs() ? inputs[i] : nullptr; }
  int32_t getNbOutputs() const noexcept override { return static_cast<int32_t>(outputs.size()); }
  ITensor* getOutput(int32_t i) const noexcept override { return i >= 0 && i < getNbOutputs() ? outputs[i] : nullptr; }
  int32_t getNbLayers() const noexcept override { return static_cast<int32_t>(layers.size()); }
  ILayer* getLayer(int32_t i) const noexcept override {
    return i >= 0 && i < getNbLayers() ? layers[i].get() : nullptr;
  }
};
struct Network : INetworkDefinition, Tracked {
  Network() : Tracked("Network") { mImpl = &impl; }
  NetworkImpl impl;
};

// ------------------------------------------------------------------------------------------- profile, host memory
struct ProfileImpl : apiv::standin::GenVOptimizationProfile {
  std::string input;
  Dims shapes[3]{};
  bool setDimensions(char const* name, OptProfileSelector select, Dims const& dims) noexcept override {
    record(std::string("call VOptimizationProfile::setDimensions ") + name + " " +
           std::to_string(static_cast<int>(select)) + " " + dimsText(dims));
    if (dims.nbDims != 4) return false;
    input = name;
    shapes[static_cast<int>(select)] = dims;
    return true;
  }
  Dims getDimensions(char const*, OptProfileSelector select) const noexcept override {
    return shapes[static_cast<int>(select)];
  }
};
struct Profile : IOptimizationProfile {
  Profile() { mImpl = &impl; }
  ProfileImpl impl;
};

struct HostMemoryImpl : apiv::standin::GenVHostMemory {
  std::string bytes;
  void* data() const noexcept override { return const_cast<char*>(bytes.data()); }
  std::size_t size() const noexcept override { return bytes.size(); }
  DataType type() const noexcept override { return DataType::kUINT8; }
};
struct HostMemory : IHostMemory, Tracked {
  explicit HostMemory(std::string bytes) : Tracked("HostMemory") {
    mImpl = &impl;
    impl.bytes = std::move(bytes);
  }
  HostMemoryImpl impl;
};

// ------------------------------------------------------------------------------------------ timing cache, config
const std::string kTimingMagic = "STANDIN-TIMING ";

struct TimingCacheImpl : apiv::standin::GenVTimingCache {
  std::string contents;
  IHostMemory* serialize() const noexcept override { return new HostMemory(contents); }
};
struct TimingCache : ITimingCache, Tracked {
  TimingCache() : Tracked("TimingCache") { mImpl = &impl; }
  TimingCacheImpl impl;
};

struct BuilderConfigImpl : apiv::standin::GenVBuilderConfig {
  std::vector<Profile*> profiles;
  TimingCache const* timingCache = nullptr;
  IProgressMonitor* monitor = nullptr;
  std::size_t workspace = 0;
  // TensorRT's default: only kTF32. Every change is logged, and the build logs the flags it was given.
  BuilderFlags flags = 1U << static_cast<uint32_t>(BuilderFlag::kTF32);
  bool tf32() const { return getFlag(BuilderFlag::kTF32); }
  void setMemoryPoolLimit(MemoryPoolType, std::size_t size) noexcept override { workspace = size; }
  void clearFlag(BuilderFlag flag) noexcept override {
    record("call VBuilderConfig::clearFlag " + std::to_string(static_cast<int>(flag)));
    flags &= ~(1U << static_cast<uint32_t>(flag));
  }
  void setFlag(BuilderFlag flag) noexcept override {
    record("call VBuilderConfig::setFlag " + std::to_string(static_cast<int>(flag)));
    flags |= 1U << static_cast<uint32_t>(flag);
  }
  void setFlags(BuilderFlags value) noexcept override {
    record("call VBuilderConfig::setFlags " + std::to_string(value));
    flags = value;
  }
  BuilderFlags getFlags() const noexcept override { return flags; }
  bool getFlag(BuilderFlag flag) const noexcept override { return (flags >> static_cast<uint32_t>(flag)) & 1U; }
  int32_t addOptimizationProfile(IOptimizationProfile const* profile) noexcept override {
    profiles.push_back(const_cast<Profile*>(static_cast<Profile const*>(profile)));
    return static_cast<int32_t>(profiles.size()) - 1;
  }
  ITimingCache* createTimingCache(void const* blob, std::size_t size) const noexcept override {
    const std::string bytes(static_cast<const char*>(blob ? blob : ""), blob ? size : 0);
    if (!bytes.empty() && bytes.rfind(kTimingMagic, 0) != 0) {
      logError("ITimingCache: the timing cache blob is not valid (stand-in)");
      return nullptr;
    }
    auto* cache = new TimingCache();
    cache->impl.contents = bytes.empty() ? kTimingMagic + "0" : bytes;
    record("call VBuilderConfig::createTimingCache " + std::to_string(bytes.size()) + " bytes -> " + cache->label);
    return cache;
  }
  bool setTimingCache(ITimingCache const& cache, bool) noexcept override {
    timingCache = static_cast<TimingCache const*>(&cache);
    record("call VBuilderConfig::setTimingCache " + timingCache->label);
    return true;
  }
  ITimingCache const* getTimingCache() const noexcept override { return timingCache; }
  void setProgressMonitor(IProgressMonitor* m) noexcept override { monitor = m; }
  IProgressMonitor* getProgressMonitor() const noexcept override { return monitor; }
};
struct BuilderConfig : IBuilderConfig, Tracked {
  BuilderConfig() : Tracked("BuilderConfig") { mImpl = &impl; }
  ~BuilderConfig() override {
    // The header: a config must not outlive... the other way round: the timing cache it uses must outlive it.
    if (impl.timingCache) record("config-destroyed-with-timing-cache " + impl.timingCache->label);
  }
  BuilderConfigImpl impl;
};

// ---------------------------------------------------------------------------------------------------------- builder
std::string typeName(DataType type) {
  return type == DataType::kHALF ? "half" : type == DataType::kFLOAT ? "float" : "other";
}

struct BuilderImpl : apiv::standin::GenVBuilder {
  std::vector<std::unique_ptr<Profile>> profiles;  // owned by the builder, as in TensorRT
  INetworkDefinition* createNetworkV2(NetworkDefinitionCreationFlags flags) noexcept override {
    auto* network = new Network();
    record("call VBuilder::createNetworkV2 flags=" + std::to_string(flags) + " -> " + network->label);
    return network;
  }
  IBuilderConfig* createBuilderConfig() noexcept override { return new BuilderConfig(); }
  IOptimizationProfile* createOptimizationProfile() noexcept override {
    profiles.push_back(std::make_unique<Profile>());
    return profiles.back().get();
  }
  IHostMemory* buildSerializedNetwork(INetworkDefinition& network, IBuilderConfig& config) noexcept override;
};
struct Builder : IBuilder, Tracked {
  Builder() : Tracked("Builder") { mImpl = &impl; }
  BuilderImpl impl;
};

// The plan: "STANDIN-PLAN <version>\n" then one line per I/O tensor and the profile.
IHostMemory* BuilderImpl::buildSerializedNetwork(INetworkDefinition& networkRef, IBuilderConfig& configRef) noexcept {
  auto& network = static_cast<Network&>(networkRef).impl;
  auto& config = static_cast<BuilderConfig&>(configRef).impl;
  int int8Tensors = 0;
  for (int32_t i = 0; i < network.getNbLayers(); ++i)
    for (int32_t j = 0; j < network.getLayer(i)->getNbOutputs(); ++j)
      int8Tensors += network.getLayer(i)->getOutput(j)->getType() == DataType::kINT8;
  record("call VBuilder::buildSerializedNetwork tf32=" + std::to_string(config.tf32()) + " workspace=" +
         std::to_string(config.workspace) + " timing=" + (config.timingCache ? config.timingCache->label : "none") +
         " flags=" + std::to_string(config.flags) + " int8-tensors=" + std::to_string(int8Tensors));
  if (config.profiles.empty() || !config.timingCache) {
    logError("stand-in: build without a profile or a timing cache");
    return nullptr;
  }
  // TensorRT loads its builder resource by bare name when it builds (no $ORIGIN since 8.4, NVIDIA/TensorRT#2218):
  // found only on the loader's path or when already loaded. The stand-in does the same.
  const std::string resource = std::string("libnvinfer_builder_resource.so.") + RF_STANDIN_VERSION_TEXT;
  if (!::dlopen(resource.c_str(), RTLD_NOW | RTLD_LOCAL)) {
    const char* why = ::dlerror();
    logError("Error Code 6: Internal Error (Unable to load library: " + resource + ": " + (why ? why : "") + ")");
    return nullptr;
  }
  // Progress, from a worker thread as TensorRT may do.
  const int steps = static_cast<int>(standin::envInt("RETINAFACE_STANDIN_BUILD_STEPS", 3));
  const int stepMs = static_cast<int>(standin::envInt("RETINAFACE_STANDIN_STEP_MS", 0));
  bool cancelled = false;
  if (IProgressMonitor* monitor = config.monitor) {
    std::thread worker([&] {
      monitor->phaseStart("Building engine", nullptr, steps);
      for (int i = 0; i < steps && !cancelled; ++i) {
        if (stepMs > 0) std::this_thread::sleep_for(std::chrono::milliseconds(stepMs));
        if (!monitor->stepComplete("Building engine", i)) cancelled = true;
      }
      monitor->phaseFinish("Building engine");
    });
    worker.join();
  }
  if (cancelled) {
    record("build-cancelled");
    logError("stand-in: the build was cancelled by the progress monitor");
    return nullptr;
  }
  std::ostringstream plan;
  plan << "STANDIN-PLAN " << standin::libraryVersion() << "\n";
  const Profile& profile = *config.profiles[0];
  for (Tensor* t : network.inputs) {
    plan << "input " << t->impl.name << ' ' << typeName(t->impl.type) << ' ';
    writeDims(plan, t->impl.dims);
    for (const Dims& d : profile.impl.shapes) {
      plan << ' ';
      writeDims(plan, d);
    }
    plan << "\n";
  }
  for (Tensor* t : network.outputs) {
    plan << "output " << t->impl.name << ' ' << typeName(t->impl.type) << ' ';
    writeDims(plan, t->impl.dims);
    plan << "\n";
  }
  const_cast<TimingCache*>(config.timingCache)->impl.contents += "+";
  return new HostMemory(plan.str());
}

// ---------------------------------------------------------------------------------------------------------- engine
struct PlanTensor {
  std::string name;
  bool input = false;
  DataType type = DataType::kFLOAT;
  Dims dims{};
  Dims profile[3]{};
};

int64_t priorCount(int64_t h, int64_t w) {
  int64_t total = 0;
  for (int64_t stride : {8, 16, 32}) total += ((h + stride - 1) / stride) * ((w + stride - 1) / stride) * 2;
  return total;
}

struct Engine;

struct ContextImpl : apiv::standin::GenVExecutionContext {
  Engine* engine = nullptr;
  IExecutionContext* self = nullptr;
  Dims inputShape{};
  std::vector<std::pair<std::string, void*>> addresses;
  IExecutionContext* getPImpl() noexcept override { return self; }
  bool setInputShape(char const* name, Dims const& dims) noexcept override;
  Dims getTensorShape(char const* name) const noexcept override;
  bool setTensorAddress(char const* name, void* data) noexcept override {
    record(std::string("call VExecutionContext::setTensorAddress ") + name);
    for (auto& entry : addresses)
      if (entry.first == name) {
        entry.second = data;
        return true;
      }
    addresses.emplace_back(name, data);
    return true;
  }
  bool enqueueV3(cudaStream_t stream) noexcept override;
};
struct Context : IExecutionContext, Tracked {
  Context() : Tracked("ExecutionContext") {
    mImpl = &impl;
    impl.self = this;
  }
  ContextImpl impl;
};

struct EngineImpl : apiv::standin::GenVCudaEngine {
  std::vector<PlanTensor> tensors;
  bool staticInput = false;
  ICudaEngine* self = nullptr;
  ICudaEngine* getPImpl() noexcept override { return self; }
  const PlanTensor* find(char const* name) const {
    for (const PlanTensor& t : tensors)
      if (name && t.name == name) return &t;
    return nullptr;
  }
  int32_t getNbIOTensors() const noexcept override { return static_cast<int32_t>(tensors.size()); }
  char const* getIOTensorName(int32_t i) const noexcept override {
    return i >= 0 && i < getNbIOTensors() ? tensors[i].name.c_str() : nullptr;
  }
  TensorIOMode getTensorIOMode(char const* name) const noexcept override {
    const PlanTensor* t = find(name);
    return !t ? TensorIOMode::kNONE : t->input ? TensorIOMode::kINPUT : TensorIOMode::kOUTPUT;
  }
  DataType getTensorDataType(char const* name) const noexcept override {
    const PlanTensor* t = find(name);
    return t ? t->type : DataType::kFLOAT;
  }
  Dims getTensorShape(char const* name) const noexcept override {
    const PlanTensor* t = find(name);
    return t ? t->dims : Dims{-1, {}};
  }
  int32_t getNbOptimizationProfiles() const noexcept override { return 1; }
  Dims getProfileShape(char const* name, int32_t, OptProfileSelector select) const noexcept override {
    const PlanTensor* t = find(name);
    // As TensorRT does for an input without dynamic dimensions: no profile shape.
    if (!t || !t->input || staticInput) {
      logError(std::string("getProfileShape: ") + (name ? name : "?") + " has no profile (stand-in: static input)");
      Dims none{};
      none.nbDims = -1;
      return none;
    }
    return t->profile[static_cast<int>(select)];
  }
  IExecutionContext* createExecutionContext(ExecutionContextAllocationStrategy) noexcept override {
    auto* context = new Context();
    context->impl.engine = reinterpret_cast<Engine*>(self);
    record("call VCudaEngine::createExecutionContext -> " + context->label);
    return context;
  }
};
struct Engine : ICudaEngine, Tracked {
  Engine() : Tracked("CudaEngine") {
    mImpl = &impl;
    impl.self = this;
  }
  EngineImpl impl;
};

bool ContextImpl::setInputShape(char const* name, Dims const& dims) noexcept {
  record(std::string("call VExecutionContext::setInputShape ") + name + " " + dimsText(dims));
  const PlanTensor* t = engine->impl.find(name);
  if (!t || !t->input || dims.nbDims != 4) {
    logError(std::string("IExecutionContext::setInputShape: Error Code 3: ") + name + " is not an input of rank 4");
    return false;
  }
  for (int i = 0; i < 4; ++i) {
    const int64_t lo = engine->impl.staticInput ? t->dims.d[i] : t->profile[0].d[i];
    const int64_t hi = engine->impl.staticInput ? t->dims.d[i] : t->profile[2].d[i];
    if (dims.d[i] < lo || dims.d[i] > hi) {
      logError(
          "IExecutionContext::setInputShape: Error Code 3: API Usage Error (Parameter check failed, condition: "
          "dims within the optimization profile " +
          dimsText(t->profile[0]) + ".." + dimsText(t->profile[2]) + ", given " + dimsText(dims) + ")");
      return false;
    }
  }
  inputShape = dims;
  return true;
}

Dims ContextImpl::getTensorShape(char const* name) const noexcept {
  const PlanTensor* t = engine->impl.find(name);
  if (!t) return Dims{-1, {}};
  if (t->input) return inputShape.nbDims ? inputShape : t->dims;
  Dims d = t->dims;  // [batch, priors, k]
  if (inputShape.nbDims == 4) {
    d.d[0] = inputShape.d[0];
    d.d[1] = priorCount(inputShape.d[2], inputShape.d[3]);
  }
  return d;
}

// Without a device the stand-in can only refuse: no GPU memory behind the addresses. With
// RETINAFACE_STANDIN_RAW640 (batch 1, 640x640) it writes those reference outputs (host pointers: the CPU lane
// device of the tests; device pointers: through the driver's cuMemcpyHtoDAsync when libcuda.so.1 is there).
bool ContextImpl::enqueueV3(cudaStream_t stream) noexcept {
  record("call VExecutionContext::enqueueV3 " + dimsText(inputShape) +
         " addresses=" + std::to_string(addresses.size()));
  for (const PlanTensor& t : engine->impl.tensors) {
    bool bound = false;
    for (auto& entry : addresses) bound = bound || (entry.first == t.name && entry.second);
    if (!bound) {
      logError("IExecutionContext::enqueueV3: Error Code 3: no address set for tensor " + t.name);
      return false;
    }
  }
  const std::string raw = standin::env("RETINAFACE_STANDIN_RAW640");
  if (raw.empty()) {
    logError("IExecutionContext::enqueueV3: no CUDA device behind the stand-in (set RETINAFACE_STANDIN_RAW640)");
    return false;
  }
  const int64_t priors = priorCount(640, 640);
  if (inputShape.d[0] != 1 || inputShape.d[2] != 640 || inputShape.d[3] != 640) {
    logError("stand-in: RETINAFACE_STANDIN_RAW640 replays batch 1 at 640x640 only");
    return false;
  }
  using CopyFn = int (*)(uint64_t, const void*, size_t, void*);
  static CopyFn copyToDevice = [] {
    void* driver = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    return driver ? reinterpret_cast<CopyFn>(::dlsym(driver, "cuMemcpyHtoDAsync_v2")) : nullptr;
  }();
  // <prefix>.loc.f32 / .conf.f32 / .landms.f32: ../shared/data/reference/raw640/<photo>.*
  for (const auto& [name, width] : std::vector<std::pair<std::string, int>>{{"loc", 4}, {"conf", 2}, {"landms", 10}}) {
    std::ifstream in(raw + "." + name + ".f32", std::ios::binary);
    std::vector<char> bytes((std::istreambuf_iterator<char>(in)), std::istreambuf_iterator<char>());
    const size_t size = static_cast<size_t>(priors * width * 4);
    if (bytes.size() != size) {
      logError("stand-in: " + raw + "." + name + ".f32 does not hold " + std::to_string(size) + " bytes");
      return false;
    }
    for (auto& entry : addresses) {
      if (entry.first != name) continue;
      if (copyToDevice) {
        // Asynchronous on the caller's stream: the bytes must outlive the copy, so they are kept until exit.
        static std::mutex keepMutex;
        static std::vector<std::vector<char>> kept;
        std::lock_guard<std::mutex> lock(keepMutex);
        kept.push_back(std::move(bytes));
        if (copyToDevice(reinterpret_cast<uint64_t>(entry.second), kept.back().data(), size, stream) != 0) return false;
      } else {
        std::memcpy(entry.second, bytes.data(), size);
      }
    }
  }
  return true;
}

struct RuntimeImpl : apiv::standin::GenVRuntime {
  IRuntime* self = nullptr;
  IRuntime* getPImpl() noexcept override { return self; }
  ICudaEngine* deserializeCudaEngine(void const* blob, std::size_t size) noexcept override {
    std::istringstream in(std::string(static_cast<const char*>(blob), size));
    std::string magic;
    int32_t version = 0;
    in >> magic >> version;
    record("call VRuntime::deserializeCudaEngine " + std::to_string(size) + " bytes");
    if (magic != "STANDIN-PLAN") {
      logError(
          "IRuntime::deserializeCudaEngine: Error Code 1: Serialization (Serialization assertion magicTagRead == "
          "kMAGIC_TAG failed.Magic tag does not match)");
      return nullptr;
    }
    if (version != standin::libraryVersion()) {
      logError(
          "IRuntime::deserializeCudaEngine: Error Code 6: API Usage Error (The engine plan file is not compatible "
          "with this version of TensorRT, expecting library version " +
          std::to_string(standin::libraryVersion()) + " got " + std::to_string(version) + ")");
      return nullptr;
    }
    auto* engine = new Engine();
    std::string kind;
    while (in >> kind) {
      PlanTensor t;
      std::string type;
      in >> t.name >> type;
      t.input = kind == "input";
      t.type = type == "half" ? DataType::kHALF : type == "float" ? DataType::kFLOAT : DataType::kINT32;
      t.dims = readDims(in);
      if (t.input) {
        for (Dims& d : t.profile) d = readDims(in);
        bool dynamic = false;
        for (int i = 0; i < t.dims.nbDims; ++i) dynamic = dynamic || t.dims.d[i] < 0;
        engine->impl.staticInput = !dynamic;
      }
      engine->impl.tensors.push_back(t);
    }
    return engine;
  }
};
struct Runtime : IRuntime, Tracked {
  Runtime() : Tracked("Runtime") {
    mImpl = &impl;
    impl.self = this;
  }
  RuntimeImpl impl;
};

}  // namespace

extern "C" __attribute__((visibility("default"))) void* createInferBuilder_INTERNAL(void* logger,
                                                                                    int32_t version) noexcept {
  if (!gLogger) gLogger = static_cast<ILogger*>(logger);
  record("call createInferBuilder_INTERNAL version=" + std::to_string(version));
  return static_cast<IBuilder*>(new Builder());
}

extern "C" __attribute__((visibility("default"))) void* createInferRuntime_INTERNAL(void* logger,
                                                                                    int32_t version) noexcept {
  if (!gLogger) gLogger = static_cast<ILogger*>(logger);
  record("call createInferRuntime_INTERNAL version=" + std::to_string(version));
  return static_cast<IRuntime*>(new Runtime());
}

extern "C" __attribute__((visibility("default"))) int32_t getInferLibVersion() noexcept {
  return standin::libraryVersion();
}
