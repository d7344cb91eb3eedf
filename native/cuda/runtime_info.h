// What the CUDA build contains and what this machine offers, for diagnostics (the addon's cudaInfo()). Never throws
// for a missing driver or device: those are answers, not errors. Launches nothing.
#pragma once
#include <cstddef>
#include <string>
#include <vector>

namespace retinaface::cuda {

struct CudaDeviceInfo {
  int index = 0;
  std::string name;
  int major = 0, minor = 0;
  size_t totalMemory = 0;
  // "sass" when machine code for this compute capability is in the build, "ptx" when the driver must JIT the PTX,
  // "none" when the build cannot run on it.
  std::string kernelImage;
};

struct CudaRuntimeInfo {
  std::vector<std::string> compiledArchitectures;  // CMAKE_CUDA_ARCHITECTURES, e.g. "75-real", "90-virtual"
  int runtimeVersion = 0;                          // e.g. 13000
  int driverVersion = 0;                           // 0 without a driver
  std::vector<CudaDeviceInfo> devices;
  std::string deviceError;  // why no device could be listed, empty otherwise
};

CudaRuntimeInfo queryCudaRuntime();

// Which image of the build a device of compute capability major.minor runs ("sass", "ptx" or "none"), given
// CMAKE_CUDA_ARCHITECTURES entries such as "86-real" or "90-virtual" ("90" alone means both).
std::string kernelImageFor(const std::vector<std::string>& architectures, int major, int minor);

}  // namespace retinaface::cuda
