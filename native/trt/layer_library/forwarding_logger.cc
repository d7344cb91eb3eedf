#include "forwarding_logger.h"

namespace retinaface::trt::layer {

namespace {
thread_local ErrorCapture* currentCapture = nullptr;
constexpr size_t kCaptureLimit = 8192;  // enough for a few parser errors; a runaway log must not grow without bound
}  // namespace

// Allocated once and never freed: libnvinfer may log while its own statics are torn down at exit, after a
// function-local static here would already have been destroyed.
ForwardingLogger& ForwardingLogger::instance() {
  static ForwardingLogger* logger = new ForwardingLogger();
  return *logger;
}

void ForwardingLogger::setSink(RfTrtLogFn sink, void* user) {
  std::lock_guard<std::mutex> lock(mutex_);
  sink_ = sink;
  user_ = user;
}

void ForwardingLogger::log(Severity severity, const char* message) noexcept {
  if (!message) return;
  if (severity <= Severity::kERROR && currentCapture && currentCapture->text_.size() < kCaptureLimit) {
    if (!currentCapture->text_.empty()) currentCapture->text_ += "; ";
    currentCapture->text_ += message;
  }
  RfTrtLogFn sink;
  void* user;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    sink = sink_;
    user = user_;
  }
  // The sink runs outside the lock: it may be slow (it hands the line to JS) and TensorRT logs from many threads.
  if (sink) sink(user, static_cast<int32_t>(severity), message);
}

ErrorCapture::ErrorCapture() : previous_(currentCapture) { currentCapture = this; }

ErrorCapture::~ErrorCapture() { currentCapture = previous_; }

}  // namespace retinaface::trt::layer
