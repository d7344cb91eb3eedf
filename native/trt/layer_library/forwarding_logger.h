// TensorRT's ILogger for this layer (one per process: TensorRT keeps the first logger it is given). Every message
// goes to the host's sink; error messages are also collected for the API call running on the same thread, so the
// error that call returns says what TensorRT complained about.
#pragma once
#include <NvInferRuntime.h>

#include <mutex>
#include <string>

#include "trt/layer/layer_api.h"

namespace retinaface::trt::layer {

class ForwardingLogger : public nvinfer1::ILogger {
 public:
  static ForwardingLogger& instance();
  void setSink(RfTrtLogFn sink, void* user);
  void log(Severity severity, const char* message) noexcept override;

 private:
  std::mutex mutex_;
  RfTrtLogFn sink_ = nullptr;
  void* user_ = nullptr;
};

// While alive, collects the error lines TensorRT logs on this thread.
class ErrorCapture {
 public:
  ErrorCapture();
  ~ErrorCapture();
  ErrorCapture(const ErrorCapture&) = delete;
  ErrorCapture& operator=(const ErrorCapture&) = delete;
  const std::string& text() const { return text_; }

 private:
  friend class ForwardingLogger;
  std::string text_;
  ErrorCapture* previous_;
};

}  // namespace retinaface::trt::layer
