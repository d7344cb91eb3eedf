// What this machine offers the TensorRT backend, found without CUDA or TensorRT headers: the NVIDIA driver and its
// GPUs (libcuda.so.1's driver API through dlopen) and whether libnvinfer.so.N can be loaded at all. Never throws;
// missing pieces are answers.
#pragma once
#include <string>

namespace retinaface::trt {

struct DriverProbe {
  bool loaded = false;     // libcuda.so.1 opened and cuInit answered
  std::string error;       // why not, or why no device could be counted
  int version = 0;         // cuDriverGetVersion, e.g. 12080
  int deviceCount = 0;
};

DriverProbe probeNvidiaDriver();

struct LibraryProbe {
  std::string name;     // e.g. "libnvinfer.so.10"
  bool loadable = false;
  std::string error;
};

// dlopens the library and closes it again (RTLD_LAZY: nothing is resolved).
LibraryProbe probeLibrary(const std::string& name);

}  // namespace retinaface::trt
