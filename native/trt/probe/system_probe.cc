#include "system_probe.h"

#include <dlfcn.h>

#include <mutex>

namespace retinaface::trt {

namespace {

// The few driver API entry points the probe needs; CUresult is an int and CUDA_SUCCESS is 0.
using CuInit = int (*)(unsigned int);
using CuDriverGetVersion = int (*)(int*);
using CuDeviceGetCount = int (*)(int*);
using CuGetErrorName = int (*)(int, const char**);

constexpr int kCudaErrorNoDevice = 100;

std::string resultText(CuGetErrorName name, int result) {
  const char* text = nullptr;
  if (name && name(result, &text) == 0 && text) return std::string(text) + " (" + std::to_string(result) + ")";
  return "CUresult " + std::to_string(result);
}

DriverProbe probeOnce() {
  DriverProbe probe;
  // Kept open: the CUDA runtime opens the same library anyway, and closing it after cuInit is not supported.
  void* driver = ::dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
  if (!driver) {
    const char* why = ::dlerror();
    probe.error = std::string("libcuda.so.1 could not be loaded (") + (why ? why : "unknown error") + ")";
    return probe;
  }
  auto init = reinterpret_cast<CuInit>(::dlsym(driver, "cuInit"));
  auto version = reinterpret_cast<CuDriverGetVersion>(::dlsym(driver, "cuDriverGetVersion"));
  auto count = reinterpret_cast<CuDeviceGetCount>(::dlsym(driver, "cuDeviceGetCount"));
  auto name = reinterpret_cast<CuGetErrorName>(::dlsym(driver, "cuGetErrorName"));
  if (!init || !version || !count) {
    probe.error = "libcuda.so.1 lacks the driver API (cuInit)";
    return probe;
  }
  if (version(&probe.version) != 0) probe.version = 0;
  const int initResult = init(0);
  if (initResult == kCudaErrorNoDevice) {
    probe.loaded = true;
    probe.error = "the NVIDIA driver reports no CUDA device";
    return probe;
  }
  if (initResult != 0) {
    probe.error = "cuInit failed: " + resultText(name, initResult);
    return probe;
  }
  probe.loaded = true;
  const int countResult = count(&probe.deviceCount);
  if (countResult != 0) {
    probe.deviceCount = 0;
    probe.error = "cuDeviceGetCount failed: " + resultText(name, countResult);
  } else if (probe.deviceCount == 0) {
    probe.error = "the NVIDIA driver reports no CUDA device";
  }
  return probe;
}

}  // namespace

DriverProbe probeNvidiaDriver() {
  // cuInit's answer does not change within a process.
  static std::once_flag once;
  static DriverProbe probe;
  std::call_once(once, [] { probe = probeOnce(); });
  return probe;
}

LibraryProbe probeLibrary(const std::string& name) {
  LibraryProbe probe;
  probe.name = name;
  void* handle = ::dlopen(name.c_str(), RTLD_LAZY | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    probe.error = why ? why : "unknown dlopen error";
    return probe;
  }
  probe.loadable = true;
  ::dlclose(handle);
  return probe;
}

}  // namespace retinaface::trt
