#include "engine_runner.h"

#include <NvInferRuntime.h>

#include <cstring>
#include <memory>
#include <string>

#include "forwarding_logger.h"
#include "layer_errors.h"

// The opaque handles of the C ABI.
struct RfTrtEngine {
  // The runtime must outlive every engine it deserialized: declared first, destroyed last.
  std::unique_ptr<nvinfer1::IRuntime> runtime;
  std::unique_ptr<nvinfer1::ICudaEngine> engine;
};

struct RfTrtContext {
  std::unique_ptr<nvinfer1::IExecutionContext> context;
};

namespace retinaface::trt::layer {

namespace {

RfTrtDims toDims(const nvinfer1::Dims& dims) {
  RfTrtDims out{};
  out.rank = dims.nbDims < 0 ? 0 : (dims.nbDims > RFTRT_MAX_DIMS ? RFTRT_MAX_DIMS : dims.nbDims);
  for (int32_t i = 0; i < out.rank; ++i) out.d[i] = dims.d[i];
  return out;
}

nvinfer1::Dims fromDims(const RfTrtDims& dims) {
  nvinfer1::Dims out{};
  out.nbDims = dims.rank;
  for (int32_t i = 0; i < dims.rank && i < nvinfer1::Dims::MAX_DIMS; ++i) out.d[i] = dims.d[i];
  return out;
}

int32_t dataType(nvinfer1::DataType type) {
  switch (type) {
    case nvinfer1::DataType::kFLOAT: return RFTRT_FLOAT32;
    case nvinfer1::DataType::kHALF: return RFTRT_FLOAT16;
    default: return RFTRT_OTHER;
  }
}

}  // namespace

int32_t loadEngine(const TensorRtLibrary& library, const void* plan, size_t size, RfTrtEngine** out,
                   RfTrtError* error) {
  ErrorCapture capture;
  auto handle = std::make_unique<RfTrtEngine>();
  handle->runtime.reset(static_cast<nvinfer1::IRuntime*>(
      library.createInferRuntime(static_cast<nvinfer1::ILogger*>(&ForwardingLogger::instance()), NV_TENSORRT_VERSION)));
  if (!handle->runtime) return fail(error, RFTRT_UNAVAILABLE, "TensorRT could not create a runtime", &capture);
  handle->engine.reset(handle->runtime->deserializeCudaEngine(plan, size));
  if (!handle->engine) return fail(error, RFTRT_FAILED, "TensorRT could not deserialize the engine", &capture);
  *out = handle.release();
  return RFTRT_OK;
}

void destroyEngine(RfTrtEngine* engine) { delete engine; }

int32_t tensorCount(const RfTrtEngine* engine) { return engine->engine->getNbIOTensors(); }

int32_t describeTensor(const RfTrtEngine* handle, int32_t index, RfTrtTensorInfo* info, RfTrtError* error) {
  const nvinfer1::ICudaEngine& engine = *handle->engine;
  if (index < 0 || index >= engine.getNbIOTensors())
    return fail(error, RFTRT_INVALID_ARGUMENT, "tensor index out of range");
  std::memset(info, 0, sizeof(*info));
  const char* name = engine.getIOTensorName(index);
  std::strncpy(info->name, name, sizeof(info->name) - 1);
  info->isInput = engine.getTensorIOMode(name) == nvinfer1::TensorIOMode::kINPUT;
  info->dataType = dataType(engine.getTensorDataType(name));
  info->shape = toDims(engine.getTensorShape(name));
  if (info->isInput && engine.getNbOptimizationProfiles() > 0) {
    // A fully static input has no profile shape (TensorRT answers Dims{-1}): its static shape is the profile.
    const auto profileShape = [&](nvinfer1::OptProfileSelector selector) {
      const nvinfer1::Dims dims = engine.getProfileShape(name, 0, selector);
      return dims.nbDims < 0 ? info->shape : toDims(dims);
    };
    info->profileMin = profileShape(nvinfer1::OptProfileSelector::kMIN);
    info->profileOpt = profileShape(nvinfer1::OptProfileSelector::kOPT);
    info->profileMax = profileShape(nvinfer1::OptProfileSelector::kMAX);
  }
  return RFTRT_OK;
}

int32_t createContext(RfTrtEngine* engine, RfTrtContext** out, RfTrtError* error) {
  ErrorCapture capture;
  auto handle = std::make_unique<RfTrtContext>();
  handle->context.reset(engine->engine->createExecutionContext());
  if (!handle->context)
    return fail(error, RFTRT_FAILED, "TensorRT could not create an execution context (out of GPU memory?)", &capture);
  *out = handle.release();
  return RFTRT_OK;
}

void destroyContext(RfTrtContext* context) { delete context; }

int32_t setInputShape(RfTrtContext* handle, const char* input, const RfTrtDims* shape, int32_t count,
                      const char* const* names, RfTrtDims* shapes, RfTrtError* error) {
  ErrorCapture capture;
  nvinfer1::IExecutionContext& context = *handle->context;
  if (!context.setInputShape(input, fromDims(*shape)))
    return fail(error, RFTRT_SHAPE_MISMATCH, std::string("the engine rejects that shape for input ") + input, &capture);
  for (int32_t i = 0; i < count; ++i) shapes[i] = toDims(context.getTensorShape(names[i]));
  return RFTRT_OK;
}

int32_t enqueue(RfTrtContext* handle, const RfTrtTensorAddress* tensors, int32_t count, void* stream,
                RfTrtError* error) {
  ErrorCapture capture;
  nvinfer1::IExecutionContext& context = *handle->context;
  for (int32_t i = 0; i < count; ++i) {
    if (!context.setTensorAddress(tensors[i].name, tensors[i].address))
      return fail(error, RFTRT_INVALID_ARGUMENT, std::string("TensorRT rejected the address of ") + tensors[i].name,
                  &capture);
  }
  if (!context.enqueueV3(static_cast<cudaStream_t>(stream)))
    return fail(error, RFTRT_FAILED, "enqueueV3 failed", &capture);
  return RFTRT_OK;
}

}  // namespace retinaface::trt::layer
