// A lane runs one batch at a time on its own stream with its own execution context: validate -> letterbox geometry
// -> preprocess -> enqueue the network -> decode + NMS -> one wait -> faces. Several lanes run side by side, so the
// GPU overlaps one batch's copies with another's kernels.
#pragma once
#include <memory>

#include "detect_request.h"
#include "lane_device.h"
#include "trt/engine/engine.h"

namespace retinaface::trt {

class Lane {
 public:
  Lane(std::unique_ptr<LaneDevice> device, std::unique_ptr<ExecutionContext> context, const LaneLimits& limits,
       const ShapeProfile& profile);
  ~Lane();
  Lane(const Lane&) = delete;
  Lane& operator=(const Lane&) = delete;

  // Runs the batch to completion on this lane's stream. Throws CodedError; the lane stays usable afterwards.
  DetectResult run(const DetectRequest& request);

 private:
  std::unique_ptr<LaneDevice> device_;
  std::unique_ptr<ExecutionContext> context_;
  LaneLimits limits_;
  ShapeProfile profile_;
};

}  // namespace retinaface::trt
