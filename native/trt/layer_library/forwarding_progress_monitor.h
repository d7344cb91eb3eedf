// The builder's IProgressMonitor, forwarded to the host's progress callback; a callback returning 0 stops the build
// (close() during a build, or process exit). TensorRT may call it from several threads.
#pragma once
#include <NvInfer.h>

#include <atomic>

#include "trt/layer/layer_api.h"

namespace retinaface::trt::layer {

class ForwardingProgressMonitor : public nvinfer1::IProgressMonitor {
 public:
  ForwardingProgressMonitor(RfTrtProgressFn callback, void* user) : callback_(callback), user_(user) {}
  void phaseStart(const char* phase, const char* parent, int32_t steps) noexcept override;
  bool stepComplete(const char* phase, int32_t step) noexcept override;
  void phaseFinish(const char* phase) noexcept override;
  bool cancelled() const { return cancelled_.load(); }

 private:
  RfTrtProgressFn callback_;
  void* user_;
  std::atomic<bool> cancelled_{false};
};

}  // namespace retinaface::trt::layer
