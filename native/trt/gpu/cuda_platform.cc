#include "cuda_platform.h"

#include <cuda_runtime_api.h>

#include <cstdio>
#include <string>

#include "core/coded_error.h"
#include "cuda/cuda_check.h"
#include "cuda/runtime_info.h"
#include "cuda_lane_device.h"

namespace retinaface::trt {

namespace {

// "GPU-xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx", as nvidia-smi -L prints it.
std::string formatUuid(const cudaUUID_t& uuid) {
  const auto* b = reinterpret_cast<const unsigned char*>(uuid.bytes);
  char text[64];
  std::snprintf(text, sizeof(text), "GPU-%02x%02x%02x%02x-%02x%02x-%02x%02x-%02x%02x-%02x%02x%02x%02x%02x%02x", b[0],
                b[1], b[2], b[3], b[4], b[5], b[6], b[7], b[8], b[9], b[10], b[11], b[12], b[13], b[14], b[15]);
  return text;
}

}  // namespace

CudaPlatform::CudaPlatform(int slots, size_t slotBytes, int device)
    : slots_(slots), slotBytes_(slotBytes), device_(device) {}

CudaPlatform::~CudaPlatform() = default;

GpuIdentity CudaPlatform::identity() {
  const cuda::CudaRuntimeInfo runtime = cuda::queryCudaRuntime();
  if (runtime.devices.empty()) {
    throw CodedError(codes::kBackendUnavailable,
                     "no CUDA GPU: " + (runtime.deviceError.empty() ? std::string("none found") : runtime.deviceError));
  }
  if (device_ < 0 || static_cast<size_t>(device_) >= runtime.devices.size())
    throw CodedError(codes::kBackendUnavailable, "CUDA device " + std::to_string(device_) + " does not exist");
  const cuda::CudaDeviceInfo& info = runtime.devices[static_cast<size_t>(device_)];
  if (info.kernelImage == "none") {
    throw CodedError(codes::kBackendUnavailable, "this build's CUDA kernels do not run on " + info.name +
                                                     " (compute capability " + std::to_string(info.major) + "." +
                                                     std::to_string(info.minor) + "); rebuild with its architecture");
  }
  cudaDeviceProp props{};
  const cudaError_t status = cudaGetDeviceProperties(&props, device_);
  if (status != cudaSuccess)
    throw CodedError(codes::kBackendUnavailable,
                     std::string("cudaGetDeviceProperties failed: ") + cudaGetErrorString(status));
  GpuIdentity gpu;
  gpu.name = info.name;
  gpu.uuid = formatUuid(props.uuid);
  gpu.major = info.major;
  gpu.minor = info.minor;
  gpu.totalMemory = info.totalMemory;
  return gpu;
}

std::unique_ptr<LaneDevice> CudaPlatform::createLane(const LaneLimits& limits) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!pinned_) {
      try {
        RF_CUDA_CHECK(cudaSetDevice(device_));
        pinned_ = std::make_unique<cuda::PinnedPool>(slots_, slotBytes_);
      } catch (const CodedError& e) {
        throw CodedError(codes::kInferenceFailed, std::string("pinned host memory: ") + e.what());
      }
    }
  }
  return std::make_unique<CudaLaneDevice>(limits, *pinned_, device_);
}

}  // namespace retinaface::trt
