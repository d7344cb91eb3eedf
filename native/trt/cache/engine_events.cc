#include "engine_events.h"

namespace retinaface::trt {

const char* eventKindName(EngineEvent::Kind kind) {
  switch (kind) {
    case EngineEvent::Kind::CacheHit: return "cache-hit";
    case EngineEvent::Kind::CacheRejected: return "cache-rejected";
    case EngineEvent::Kind::BuildStarted: return "build-started";
    case EngineEvent::Kind::PhaseStarted: return "phase-started";
    case EngineEvent::Kind::StepCompleted: return "step-completed";
    case EngineEvent::Kind::PhaseFinished: return "phase-finished";
    case EngineEvent::Kind::BuildFinished: return "build-finished";
    case EngineEvent::Kind::CacheWritten: return "cache-written";
    case EngineEvent::Kind::CacheWriteFailed: return "cache-write-failed";
    case EngineEvent::Kind::CacheWaiting: return "cache-waiting";
  }
  return "unknown";
}

}  // namespace retinaface::trt
