// What happens while an engine is found or built, for the user: building takes minutes, so the user is told that
// it started and why, how far it got, and where the engine was written. Delivered on the thread doing the work.
#pragma once
#include <string>

namespace retinaface::trt {

struct EngineEvent {
  enum class Kind {
    CacheHit,          // path: the engine file used
    CacheRejected,     // path + message: why an existing file is not trusted (it is rebuilt)
    BuildStarted,      // path (where it will go) + message (what is built and why)
    PhaseStarted,      // phase, parent, steps
    StepCompleted,     // phase, step
    PhaseFinished,     // phase
    BuildFinished,     // seconds
    CacheWritten,      // path
    CacheWriteFailed,  // path + message: the engine is used anyway and rebuilt next time
    CacheWaiting,      // path + message: another process is building this engine; waiting for it (bounded)
  };
  Kind kind;
  std::string message;
  std::string path;
  std::string phase, parent;
  int step = 0, steps = 0;
  double seconds = 0;
};

const char* eventKindName(EngineEvent::Kind kind);  // "cache-hit", "build-started", ...

class EngineObserver {
 public:
  virtual ~EngineObserver() = default;
  virtual void onEvent(const EngineEvent& event) = 0;
  // Polled between build steps: true stops the build (DETECTOR_CLOSED).
  virtual bool cancelled() const { return false; }
};

}  // namespace retinaface::trt
