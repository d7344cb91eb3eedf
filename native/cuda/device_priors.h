// The anchor table of native/core/priors.cc, computed on the device for one network input size and kept until the
// size changes, so a dynamic-shape model needs no host-side priors and no upload.
#pragma once
#include <cuda_runtime_api.h>

#include "core/priors.h"
#include "device_buffer.h"

namespace retinaface::cuda {

// Writes makePriors(width, height) to out (priorCount(width, height) entries), bit for bit.
void enqueueMakePriors(int width, int height, Prior* out, cudaStream_t stream);

class DevicePriors {
 public:
  // Room for the priors of any input up to maxWidth x maxHeight.
  DevicePriors(int maxWidth, int maxHeight, cudaStream_t stream);

  // Device priors for width x height, recomputed on `stream` only when the size differs from the last call.
  const Prior* forSize(int width, int height, cudaStream_t stream);
  int count() const { return count_; }

 private:
  int maxWidth_, maxHeight_;
  DeviceBuffer<Prior> priors_;
  int width_ = 0, height_ = 0, count_ = 0;
};

}  // namespace retinaface::cuda
