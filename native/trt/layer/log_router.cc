#include "log_router.h"

namespace retinaface::trt {

LogRouter& LogRouter::instance() {
  static LogRouter router;
  return router;
}

void LogRouter::attach(const RfTrtApi* api) {
  if (api && api->setLogger) api->setLogger(&LogRouter::forward, this);
}

uint64_t LogRouter::add(int maxSeverity, Sink sink) {
  std::lock_guard<std::mutex> lock(mutex_);
  const uint64_t id = next_++;
  sinks_.emplace(id, std::make_pair(maxSeverity, std::move(sink)));
  return id;
}

void LogRouter::remove(uint64_t id) {
  std::lock_guard<std::mutex> lock(mutex_);
  sinks_.erase(id);
}

void LogRouter::forward(void* user, int32_t severity, const char* message) {
  auto* router = static_cast<LogRouter*>(user);
  std::lock_guard<std::mutex> lock(router->mutex_);
  for (auto& [id, entry] : router->sinks_) {
    if (severity <= entry.first) entry.second(severity, message);
  }
}

}  // namespace retinaface::trt
