// The GPU side a session needs besides the engine: which card it runs on (part of the engine cache key) and a
// lane device per stream. gpu/cuda_platform.* implements it with CUDA; the tests with CPU stand-ins.
#pragma once
#include <cstdint>
#include <memory>
#include <string>

#include "lane_device.h"

namespace retinaface::trt {

struct GpuIdentity {
  std::string name;  // e.g. "NVIDIA H100 80GB HBM3"
  std::string uuid;  // "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as nvidia-smi prints it
  int major = 0, minor = 0;
  uint64_t totalMemory = 0;
  std::string computeCapability() const { return std::to_string(major) + "." + std::to_string(minor); }
};

class DevicePlatform {
 public:
  virtual ~DevicePlatform() = default;
  // Throws CodedError(BACKEND_UNAVAILABLE) when there is no usable GPU.
  virtual GpuIdentity identity() = 0;
  // A stream with buffers for `limits`. Throws CodedError.
  virtual std::unique_ptr<LaneDevice> createLane(const LaneLimits& limits) = 0;
};

}  // namespace retinaface::trt
