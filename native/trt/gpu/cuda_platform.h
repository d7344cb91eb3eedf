// The CUDA DevicePlatform: the current GPU's identity (UUID and compute capability key the engine cache; a card
// this build's kernels cannot run on is refused up front) and CUDA lane devices sharing one pinned pool.
#pragma once
#include <cstddef>
#include <memory>
#include <mutex>

#include "cuda/pinned_pool.h"
#include "trt/pipeline/device_platform.h"

namespace retinaface::trt {

class CudaPlatform : public DevicePlatform {
 public:
  // slots: pinned staging buffers shared by the lanes (one per stream plus one is plenty); device: CUDA ordinal.
  CudaPlatform(int slots, size_t slotBytes, int device = 0);
  ~CudaPlatform() override;
  GpuIdentity identity() override;
  std::unique_ptr<LaneDevice> createLane(const LaneLimits& limits) override;

 private:
  int slots_;
  size_t slotBytes_;
  int device_;
  std::mutex mutex_;
  std::unique_ptr<cuda::PinnedPool> pinned_;  // created with the first lane, after identity() found a GPU
};

}  // namespace retinaface::trt
