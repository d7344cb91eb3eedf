#include "trt_probe.h"

#include <string>

#include "../trt/probe/availability.h"

namespace retinaface::napi {

namespace {

#ifdef RETINAFACE_WITH_CUDA
constexpr bool kCudaKernels = true;
#else
constexpr bool kCudaKernels = false;
#endif

Napi::Array strings(Napi::Env env, const std::vector<std::string>& values) {
  Napi::Array array = Napi::Array::New(env, values.size());
  for (size_t i = 0; i < values.size(); ++i) array.Set(static_cast<uint32_t>(i), values[i]);
  return array;
}

}  // namespace

Napi::Value trtProbe(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  std::string layerDir = trt::defaultLayerDirectory();
  if (info.Length() > 0 && info[0].IsObject()) {
    Napi::Value dir = info[0].As<Napi::Object>().Get("layerDir");
    if (dir.IsString()) layerDir = dir.As<Napi::String>().Utf8Value();
  }
  const trt::Availability availability = trt::probeAvailability(layerDir, kCudaKernels);
  Napi::Object result = Napi::Object::New(env);
  result.Set("available", availability.available);
  if (!availability.available) result.Set("reason", availability.reason);
  result.Set("missing", strings(env, availability.missing));
  result.Set("cudaKernels", kCudaKernels);
  result.Set("layerDir", layerDir);
  Napi::Array layers = Napi::Array::New(env, availability.layers.size());
  for (size_t i = 0; i < availability.layers.size(); ++i) {
    const trt::LayerAttempt& attempt = availability.layers[i];
    Napi::Object layer = Napi::Object::New(env);
    layer.Set("major", attempt.major);
    layer.Set("path", attempt.path);
    layer.Set("present", attempt.present);
    if (!attempt.error.empty()) layer.Set("error", attempt.error);
    layers.Set(static_cast<uint32_t>(i), layer);
  }
  result.Set("layers", layers);
  if (availability.major != 0) {
    result.Set("tensorrtMajor", availability.major);
    result.Set("tensorrtVersion", availability.tensorrtVersion);
    result.Set("layerPath", availability.layerPath);
    result.Set("libraryPath", availability.libraryPath);
  }
  return result;
}

}  // namespace retinaface::napi
