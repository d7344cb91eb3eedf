#include "runtime_info.h"

#include <cuda_runtime_api.h>

#include <sstream>

#ifndef RETINAFACE_CUDA_ARCHITECTURES
#error "RETINAFACE_CUDA_ARCHITECTURES must list (comma-separated) the architectures the kernels were compiled for"
#endif

namespace retinaface::cuda {

namespace {

std::vector<std::string> split(const std::string& list, char separator) {
  std::vector<std::string> parts;
  std::stringstream stream(list);
  std::string part;
  while (std::getline(stream, part, separator)) {
    if (!part.empty()) parts.push_back(part);
  }
  return parts;
}

}  // namespace

std::string kernelImageFor(const std::vector<std::string>& architectures, int major, int minor) {
  const int device = major * 10 + minor;
  bool ptx = false;
  for (const std::string& entry : architectures) {
    const size_t dash = entry.find('-');
    const std::string number = entry.substr(0, dash);
    const std::string kind = dash == std::string::npos ? "" : entry.substr(dash + 1);
    if (number.empty() || number.find_first_not_of("0123456789") != std::string::npos) continue;
    const int arch = std::stoi(number);
    const bool real = kind.empty() || kind == "real";
    const bool virt = kind.empty() || kind == "virtual";
    // Machine code runs on the same major version at an equal or higher minor version.
    if (real && arch / 10 == major && arch <= device) return "sass";
    // PTX is compiled by the driver for any device at least as new.
    if (virt && arch <= device) ptx = true;
  }
  return ptx ? "ptx" : "none";
}

CudaRuntimeInfo queryCudaRuntime() {
  CudaRuntimeInfo info;
  info.compiledArchitectures = split(RETINAFACE_CUDA_ARCHITECTURES, ',');
  (void)cudaRuntimeGetVersion(&info.runtimeVersion);
  if (cudaDriverGetVersion(&info.driverVersion) != cudaSuccess) info.driverVersion = 0;
  int count = 0;
  const cudaError_t status = cudaGetDeviceCount(&count);
  if (status != cudaSuccess) {
    info.deviceError = std::string(cudaGetErrorName(status)) + ": " + cudaGetErrorString(status);
    (void)cudaGetLastError();  // not sticky; keep it from surfacing in an unrelated check
    return info;
  }
  for (int i = 0; i < count; ++i) {
    cudaDeviceProp props{};
    if (cudaGetDeviceProperties(&props, i) != cudaSuccess) continue;
    CudaDeviceInfo device;
    device.index = i;
    device.name = props.name;
    device.major = props.major;
    device.minor = props.minor;
    device.totalMemory = props.totalGlobalMem;
    device.kernelImage = kernelImageFor(info.compiledArchitectures, props.major, props.minor);
    info.devices.push_back(device);
  }
  return info;
}

}  // namespace retinaface::cuda
