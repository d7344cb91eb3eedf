// The one exported symbol of libretinaface_trtN.so: the C API table, once TensorRT N's libraries have loaded.
// Every function catches everything: nothing but a status may cross back into the addon.
#include <NvInferVersion.h>

#include <exception>
#include <mutex>
#include <new>
#include <string>

#include "engine_builder.h"
#include "engine_runner.h"
#include "forwarding_logger.h"
#include "layer_errors.h"
#include "tensorrt_library.h"
#include "trt/layer/layer_api.h"

namespace retinaface::trt::layer {

namespace {

const TensorRtLibrary* library = nullptr;  // set before the table is handed out, never changed afterwards

template <typename Body>
int32_t guarded(RfTrtError* error, Body body) noexcept {
  try {
    return body();
  } catch (const std::bad_alloc&) {
    return fail(error, RFTRT_FAILED, "out of host memory");
  } catch (const std::exception& e) {
    return fail(error, RFTRT_FAILED, e.what());
  } catch (...) {
    return fail(error, RFTRT_FAILED, "unknown exception in the TensorRT layer");
  }
}

void apiSetLogger(RfTrtLogFn fn, void* user) { ForwardingLogger::instance().setSink(fn, user); }

int32_t apiBuildEngine(const RfTrtBuildRequest* request, RfTrtBlob* plan, RfTrtBlob* timing, RfTrtError* error) {
  return guarded(error, [&] { return buildEngine(*library, *request, plan, timing, error); });
}

void apiFreeBlob(RfTrtBlob* blob) { freeBlob(blob); }

int32_t apiLoadEngine(const void* plan, size_t size, RfTrtEngine** engine, RfTrtError* error) {
  return guarded(error, [&] { return loadEngine(*library, plan, size, engine, error); });
}

int32_t apiDescribeTensor(const RfTrtEngine* engine, int32_t index, RfTrtTensorInfo* info, RfTrtError* error) {
  return guarded(error, [&] { return describeTensor(engine, index, info, error); });
}

int32_t apiCreateContext(RfTrtEngine* engine, RfTrtContext** context, RfTrtError* error) {
  return guarded(error, [&] { return createContext(engine, context, error); });
}

int32_t apiSetInputShape(RfTrtContext* context, const char* input, const RfTrtDims* shape, int32_t count,
                         const char* const* names, RfTrtDims* shapes, RfTrtError* error) {
  return guarded(error, [&] { return setInputShape(context, input, shape, count, names, shapes, error); });
}

int32_t apiEnqueue(RfTrtContext* context, const RfTrtTensorAddress* tensors, int32_t count, void* stream,
                   RfTrtError* error) {
  return guarded(error, [&] { return enqueue(context, tensors, count, stream, error); });
}

RfTrtApi makeApi(const TensorRtLibrary& loaded) {
  RfTrtApi api{};
  api.abiVersion = RFTRT_ABI_VERSION;
  api.compiledVersion = NV_TENSORRT_MAJOR * 10000 + NV_TENSORRT_MINOR * 100 + NV_TENSORRT_PATCH;
  api.libraryVersion = loaded.libraryVersion;
  api.parserVersion = loaded.parserVersion;
  api.libraryPath = loaded.libraryPath.c_str();
  api.setLogger = apiSetLogger;
  api.buildEngine = apiBuildEngine;
  api.freeBlob = apiFreeBlob;
  api.loadEngine = apiLoadEngine;
  api.destroyEngine = destroyEngine;
  api.tensorCount = tensorCount;
  api.describeTensor = apiDescribeTensor;
  api.createContext = apiCreateContext;
  api.destroyContext = destroyContext;
  api.setInputShape = apiSetInputShape;
  api.enqueue = apiEnqueue;
  return api;
}

}  // namespace

}  // namespace retinaface::trt::layer

extern "C" __attribute__((visibility("default"))) const RfTrtApi* retinaface_trt_get_api(uint32_t abiVersion,
                                                                                         RfTrtError* error) {
  using namespace retinaface::trt::layer;
  if (abiVersion != RFTRT_ABI_VERSION) {
    fail(error, RFTRT_UNAVAILABLE,
         "the TensorRT layer speaks ABI " + std::to_string(RFTRT_ABI_VERSION) + ", the addon asked for " +
             std::to_string(abiVersion) + " (mismatched builds)");
    return nullptr;
  }
  std::string why;
  const TensorRtLibrary* loaded = nullptr;
  try {
    loaded = tensorRtLibrary(why);
  } catch (const std::exception& e) {
    why = e.what();
  }
  if (!loaded) {
    fail(error, RFTRT_UNAVAILABLE, why);
    return nullptr;
  }
  static std::once_flag once;
  static RfTrtApi api{};
  std::call_once(once, [&] {
    library = loaded;
    api = makeApi(*loaded);
  });
  return &api;
}
