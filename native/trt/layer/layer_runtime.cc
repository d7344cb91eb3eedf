#include "layer_runtime.h"

#include <sys/stat.h>

#include <array>
#include <regex>

#include "core/coded_error.h"
#include "core/priors.h"
#include "trt/engine/engine_tensors.h"
#include "trt/probe/availability.h"

namespace retinaface::trt {

namespace {

const char* codeFor(int32_t status, const char* fallback) {
  switch (status) {
    case RFTRT_UNAVAILABLE: return codes::kBackendUnavailable;
    case RFTRT_MODEL_INVALID: return codes::kModelInvalid;
    case RFTRT_CANCELLED: return codes::kDetectorClosed;
    case RFTRT_INVALID_ARGUMENT:
    case RFTRT_SHAPE_MISMATCH: return codes::kInvalidArgument;
    default: return fallback;
  }
}

std::vector<int64_t> toVector(const RfTrtDims& dims) { return std::vector<int64_t>(dims.d, dims.d + dims.rank); }

RfTrtDims dims4(int64_t n, int64_t c, int64_t h, int64_t w) {
  RfTrtDims dims{};
  dims.rank = 4;
  dims.d[0] = n;
  dims.d[1] = c;
  dims.d[2] = h;
  dims.d[3] = w;
  return dims;
}

// Frees a layer-owned blob when it goes out of scope.
class BlobGuard {
 public:
  explicit BlobGuard(const RfTrtApi* api) : api_(api) {}
  ~BlobGuard() {
    if (blob.owner) api_->freeBlob(&blob);
  }
  BlobGuard(const BlobGuard&) = delete;
  BlobGuard& operator=(const BlobGuard&) = delete;
  std::vector<uint8_t> copy() const {
    const uint8_t* bytes = static_cast<const uint8_t*>(blob.data);
    return bytes ? std::vector<uint8_t>(bytes, bytes + blob.size) : std::vector<uint8_t>();
  }
  RfTrtBlob blob{};

 private:
  const RfTrtApi* api_;
};

int32_t forwardProgress(void* user, int32_t kind, const char* phase, const char* parent, int32_t step, int32_t steps) {
  auto* monitor = static_cast<BuildMonitor*>(user);
  try {
    switch (kind) {
      case RFTRT_PHASE_START: monitor->phaseStart(phase, parent ? parent : "", steps); return 1;
      case RFTRT_STEP_COMPLETE: return monitor->stepComplete(phase, step) ? 1 : 0;
      default: monitor->phaseFinish(phase); return 1;
    }
  } catch (...) {
    return 1;  // a failing observer must not abort a build
  }
}

class LayerContext : public ExecutionContext {
 public:
  LayerContext(const RfTrtApi* api, RfTrtContext* context, const EngineTensorRoles& roles)
      : api_(api), context_(context), roles_(roles) {}
  ~LayerContext() override { api_->destroyContext(context_); }

  void enqueue(const InferenceCall& call, void* stream) override {
    RfTrtError error{};
    const std::array<const char*, 3> outputs = {roles_.loc.c_str(), roles_.conf.c_str(), roles_.landms.c_str()};
    std::array<RfTrtDims, 3> shapes{};
    const RfTrtDims input = dims4(call.batch, 3, call.size.height, call.size.width);
    throwIfFailed(api_->setInputShape(context_, roles_.input.c_str(), &input, 3, outputs.data(), shapes.data(), &error),
                  error, codes::kInferenceFailed);
    // Checked before enqueueing: an engine that writes more than the buffers hold would corrupt device memory.
    const int priors = priorCount(call.size.width, call.size.height);
    checkOutputShape(roles_.loc, toVector(shapes[0]), call.batch, priors, 4);
    checkOutputShape(roles_.conf, toVector(shapes[1]), call.batch, priors, 2);
    checkOutputShape(roles_.landms, toVector(shapes[2]), call.batch, priors, 10);
    const std::array<RfTrtTensorAddress, 4> tensors = {{{roles_.input.c_str(), call.tensors.input},
                                                        {roles_.loc.c_str(), call.tensors.loc},
                                                        {roles_.conf.c_str(), call.tensors.conf},
                                                        {roles_.landms.c_str(), call.tensors.landms}}};
    throwIfFailed(api_->enqueue(context_, tensors.data(), 4, stream, &error), error, codes::kInferenceFailed);
  }

 private:
  const RfTrtApi* api_;
  RfTrtContext* context_;
  EngineTensorRoles roles_;
};

class LayerEngine : public Engine {
 public:
  LayerEngine(const RfTrtApi* api, RfTrtEngine* engine) : api_(api), engine_(engine) {
    try {
      describe();
    } catch (...) {
      api_->destroyEngine(engine_);
      throw;
    }
  }
  ~LayerEngine() override { api_->destroyEngine(engine_); }

  const EngineDescription& description() const override { return description_; }

  std::unique_ptr<ExecutionContext> createContext() override {
    RfTrtContext* context = nullptr;
    RfTrtError error{};
    throwIfFailed(api_->createContext(engine_, &context, &error), error, codes::kInferenceFailed);
    return std::make_unique<LayerContext>(api_, context, roles_);
  }

 private:
  void describe() {
    const int32_t count = api_->tensorCount(engine_);
    for (int32_t i = 0; i < count; ++i) {
      RfTrtTensorInfo info{};
      RfTrtError error{};
      throwIfFailed(api_->describeTensor(engine_, i, &info, &error), error, codes::kInferenceFailed);
      TensorDescription tensor;
      tensor.name = info.name;
      tensor.isInput = info.isInput != 0;
      tensor.type = info.dataType == RFTRT_FLOAT32   ? TensorType::Float32
                    : info.dataType == RFTRT_FLOAT16 ? TensorType::Float16
                                                     : TensorType::Other;
      tensor.shape = toVector(info.shape);
      if (tensor.isInput && info.profileMax.rank == 4) {
        ShapeProfile& p = description_.profile;
        p.maxBatch = static_cast<int>(info.profileMax.d[0]);
        p.optBatch = static_cast<int>(info.profileOpt.d[0]);
        p.min = {static_cast<int>(info.profileMin.d[3]), static_cast<int>(info.profileMin.d[2])};
        p.opt = {static_cast<int>(info.profileOpt.d[3]), static_cast<int>(info.profileOpt.d[2])};
        p.max = {static_cast<int>(info.profileMax.d[3]), static_cast<int>(info.profileMax.d[2])};
      }
      description_.tensors.push_back(tensor);
    }
    roles_ = mapEngineTensors(description_);
  }

  const RfTrtApi* api_;
  RfTrtEngine* engine_;
  EngineDescription description_;
  EngineTensorRoles roles_;
};

}  // namespace

void throwIfFailed(int32_t status, const RfTrtError& error, const char* fallback) {
  if (status == RFTRT_OK) return;
  throw CodedError(codeFor(status, fallback), error.message[0] ? error.message : "TensorRT layer call failed");
}

std::string LayerRuntime::version() const { return tensorRtVersionText(api_->libraryVersion); }

// "cuda12 312345678 bytes": the CUDA major a TensorRT build targets shows in where NVIDIA installs it (pip:
// tensorrt_cu12_libs, tar: ...cuda-12.9/lib); the library's size differs between any two builds of one version.
std::string LayerRuntime::buildIdentity() const {
  const std::string path = api_->libraryPath ? api_->libraryPath : "";
  std::smatch match;
  static const std::regex cuda("cu(?:da)?[-_.]?(1[0-9])");
  const std::string major = std::regex_search(path, match, cuda) ? "cuda" + match[1].str() : "cuda-unknown";
  struct stat info{};
  const std::string size = ::stat(path.c_str(), &info) == 0 ? std::to_string(info.st_size) + " bytes" : "size unknown";
  return major + " " + size;
}

BuildResult LayerRuntime::build(const BuildRequest& request, BuildMonitor* monitor) {
  RfTrtBuildRequest c{};
  c.onnx = request.onnx->data();
  c.onnxBytes = request.onnx->size();
  c.precision = request.precision == Precision::Fp16   ? RFTRT_FP16
                : request.precision == Precision::Int8 ? RFTRT_INT8
                                                       : RFTRT_FP32;
  c.profile.maxBatch = request.profile.maxBatch;
  c.profile.optBatch = request.profile.optBatch;
  c.profile.minWidth = request.profile.min.width;
  c.profile.minHeight = request.profile.min.height;
  c.profile.optWidth = request.profile.opt.width;
  c.profile.optHeight = request.profile.opt.height;
  c.profile.maxWidth = request.profile.max.width;
  c.profile.maxHeight = request.profile.max.height;
  c.workspaceBytes = request.workspaceBytes;
  c.timingCache = request.timingCache.empty() ? nullptr : request.timingCache.data();
  c.timingCacheBytes = request.timingCache.size();
  c.progress = monitor ? forwardProgress : nullptr;
  c.progressUser = monitor;
  BlobGuard plan(api_), timing(api_);
  RfTrtError error{};
  throwIfFailed(api_->buildEngine(&c, &plan.blob, &timing.blob, &error), error, codes::kInferenceFailed);
  BuildResult result;
  result.plan = plan.copy();
  result.timingCache = timing.copy();
  return result;
}

std::unique_ptr<Engine> LayerRuntime::load(const uint8_t* plan, size_t size) {
  RfTrtEngine* engine = nullptr;
  RfTrtError error{};
  throwIfFailed(api_->loadEngine(plan, size, &engine, &error), error, codes::kInferenceFailed);
  return std::make_unique<LayerEngine>(api_, engine);
}

}  // namespace retinaface::trt
