// TensorRT's log, fanned out to the sessions that want it: a layer has one process-wide logger, so its messages
// come here and go to every registered sink whose level admits them. Sinks are called under the router's lock, so
// once remove() returns a sink is never called again (a session removes its sink before its channel closes).
#pragma once
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>

#include "layer_api.h"

namespace retinaface::trt {

class LogRouter {
 public:
  using Sink = std::function<void(int severity, const char* message)>;  // must not block
  static LogRouter& instance();

  // Points a loaded layer's logger here (idempotent).
  void attach(const RfTrtApi* api);
  // Severity as TensorRT's: 0 internal error, 1 error, 2 warning, 3 info, 4 verbose; maxSeverity 2 = warnings and up.
  uint64_t add(int maxSeverity, Sink sink);
  void remove(uint64_t id);

 private:
  static void forward(void* user, int32_t severity, const char* message);
  std::mutex mutex_;
  uint64_t next_ = 1;
  std::map<uint64_t, std::pair<int, Sink>> sinks_;
};

}  // namespace retinaface::trt
