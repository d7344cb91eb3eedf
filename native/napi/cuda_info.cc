#include "cuda_info.h"

#include <string>

#include "cuda/runtime_info.h"

namespace retinaface::napi {

Napi::Value cudaInfo(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  const cuda::CudaRuntimeInfo runtime = cuda::queryCudaRuntime();
  Napi::Object result = Napi::Object::New(env);

  Napi::Array architectures = Napi::Array::New(env, runtime.compiledArchitectures.size());
  for (size_t i = 0; i < runtime.compiledArchitectures.size(); ++i)
    architectures.Set(static_cast<uint32_t>(i), Napi::String::New(env, runtime.compiledArchitectures[i]));
  result.Set("compiledArchitectures", architectures);
  result.Set("runtimeVersion", Napi::Number::New(env, runtime.runtimeVersion));
  result.Set("driverVersion", Napi::Number::New(env, runtime.driverVersion));
  result.Set("devicePresent", Napi::Boolean::New(env, !runtime.devices.empty()));

  Napi::Array devices = Napi::Array::New(env, runtime.devices.size());
  for (size_t i = 0; i < runtime.devices.size(); ++i) {
    const cuda::CudaDeviceInfo& d = runtime.devices[i];
    Napi::Object device = Napi::Object::New(env);
    device.Set("index", Napi::Number::New(env, d.index));
    device.Set("name", Napi::String::New(env, d.name));
    device.Set("computeCapability", Napi::String::New(env, std::to_string(d.major) + "." + std::to_string(d.minor)));
    device.Set("totalMemory", Napi::Number::New(env, static_cast<double>(d.totalMemory)));
    device.Set("kernelImage", Napi::String::New(env, d.kernelImage));
    devices.Set(static_cast<uint32_t>(i), device);
  }
  result.Set("devices", devices);
  if (!runtime.deviceError.empty()) result.Set("deviceError", Napi::String::New(env, runtime.deviceError));
  return result;
}

}  // namespace retinaface::napi
