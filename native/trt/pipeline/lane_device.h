// The device half of a lane: one stream and the buffers and kernels a batch passes through on it. The CUDA
// implementation (gpu/cuda_lane_device.*) uses a pinned slot, the GPU letterbox, decode and NMS kernels of native/cuda;
// the tests' implementation runs the same steps on the CPU with a stream that defers work until it is waited on, so
// a pipeline that reads results before waiting fails there too.
#pragma once
#include <vector>

#include "core/letterbox.h"
#include "core/postprocess.h"
#include "core/preprocess.h"
#include "detect_request.h"
#include "trt/engine/engine.h"

namespace retinaface::trt {

// What a lane's buffers are sized for; fixed when the lane is created.
struct LaneLimits {
  int maxBatch = 1;
  InputSize maxInput;  // the engine profile's largest input
  TensorType inputType = TensorType::Float32;
  int preNmsTopK = 5000;  // postprocessing caps (0 = none); per-call options may not exceed them
  int maxFaces = 1000;
};

class LaneDevice {
 public:
  virtual ~LaneDevice() = default;  // waits for the stream, then frees its buffers and the stream itself
  virtual void* stream() = 0;  // what ExecutionContext::enqueue runs on (a cudaStream_t for CUDA)
  virtual TensorBindings tensors() = 0;

  // Enqueues: pixels -> pinned slot -> device -> letterbox resize + BGR minus mean into tensors().input.
  // Throws CodedError(INVALID_ARGUMENT) for images that do not fit their letterboxes.
  virtual void enqueuePreprocess(const std::vector<PixelView>& images, const std::vector<Letterbox>& letterboxes,
                                 InputSize input) = 0;
  // Enqueues decode + NMS of the outputs in tensors() and the copy of the surviving faces to host memory.
  virtual void enqueuePostprocess(int batch, InputSize input, const PostprocessOptions& options) = 0;
  // Waits until the stream has finished the batch (the one wait per batch), then fills result.
  virtual void collect(int batch, DetectResult& result) = 0;
  // After a failure midway: waits for whatever was enqueued so the buffers can be reused. Never throws.
  virtual void drain() noexcept = 0;
};

}  // namespace retinaface::trt
