#include "engine_provider.h"

#include <chrono>
#include <optional>

#include "core/coded_error.h"
#include "engine_file.h"
#include "engine_lock.h"
#include "file_io.h"

namespace retinaface::trt {

namespace {

void emit(EngineObserver* observer, EngineEvent event) {
  if (observer) observer->onEvent(event);
}

EngineEvent event(EngineEvent::Kind kind, std::string path = {}, std::string message = {}) {
  EngineEvent e{};
  e.kind = kind;
  e.path = std::move(path);
  e.message = std::move(message);
  return e;
}

// Turns builder callbacks into events and the observer's cancellation into a stopped build.
class ObservedMonitor : public BuildMonitor {
 public:
  explicit ObservedMonitor(EngineObserver* observer) : observer_(observer) {}
  void phaseStart(const std::string& phase, const std::string& parent, int steps) override {
    EngineEvent e = event(EngineEvent::Kind::PhaseStarted);
    e.phase = phase;
    e.parent = parent;
    e.steps = steps;
    emit(observer_, e);
  }
  bool stepComplete(const std::string& phase, int step) override {
    EngineEvent e = event(EngineEvent::Kind::StepCompleted);
    e.phase = phase;
    e.step = step;
    emit(observer_, e);
    return !(observer_ && observer_->cancelled());
  }
  void phaseFinish(const std::string& phase) override {
    EngineEvent e = event(EngineEvent::Kind::PhaseFinished);
    e.phase = phase;
    emit(observer_, e);
  }

 private:
  EngineObserver* observer_;
};

// The cached plan if the file exists, matches the key and deserializes; otherwise why not.
std::unique_ptr<Engine> loadCached(EngineRuntime& runtime, const std::string& path, const EngineCacheKey& key,
                                   std::string& whyNot) {
  const std::optional<std::vector<uint8_t>> file = readWholeFile(path);
  if (!file) {
    whyNot = "no cached engine";
    return nullptr;
  }
  const EngineFileCheck check = checkEngineFile(*file, key.canonical());
  if (!check.valid) {
    whyNot = check.problem;
    return nullptr;
  }
  try {
    return runtime.load(file->data() + check.planOffset, check.planSize);
  } catch (const CodedError& e) {
    // The plan loaded but its tensors are not RetinaFace's: rebuilding the same ONNX gives the same engine.
    if (std::string(e.code()) == codes::kModelInvalid) throw;
    whyNot = std::string("TensorRT could not deserialize it: ") + e.what();
    return nullptr;
  } catch (const std::exception& e) {
    whyNot = std::string("TensorRT could not deserialize it: ") + e.what();
    return nullptr;
  }
}

void writeQuietly(const std::string& path, const std::vector<uint8_t>& bytes, EngineObserver* observer, bool announce) {
  try {
    writeFileAtomically(path, bytes.data(), bytes.size());
    if (announce) emit(observer, event(EngineEvent::Kind::CacheWritten, path));
  } catch (const std::exception& e) {
    emit(observer, event(EngineEvent::Kind::CacheWriteFailed, path, e.what()));
  }
}

}  // namespace

ProvidedEngine provideEngine(EngineRuntime& runtime, const EngineCacheKey& key, const std::string& cacheDir,
                             const std::vector<uint8_t>& onnx, EngineObserver* observer) {
  ProvidedEngine provided;
  provided.path = cacheDir + "/" + key.fileName();
  std::string whyNot;
  provided.engine = loadCached(runtime, provided.path, key, whyNot);
  if (provided.engine) {
    emit(observer, event(EngineEvent::Kind::CacheHit, provided.path));
    return provided;
  }
  // One builder per engine among the processes sharing this folder: wait for another one's build, then load it.
  EngineBuildLock lock(provided.path + ".lock");
  if (lock.usable() && !lock.acquired()) {
    const double wait = engineLockWaitSeconds();
    emit(observer, event(EngineEvent::Kind::CacheWaiting, provided.path,
                         "another process is building this engine (" + provided.path +
                             ".lock is held); waiting up to " + std::to_string(static_cast<int>(wait)) + " s for it"));
    const bool acquired = lock.waitFor(wait);
    std::string whyNotAfterWait;
    provided.engine = loadCached(runtime, provided.path, key, whyNotAfterWait);
    if (provided.engine) {
      emit(observer, event(EngineEvent::Kind::CacheHit, provided.path));
      return provided;
    }
    if (!acquired)
      whyNotAfterWait += "; the other process did not finish within " + std::to_string(static_cast<int>(wait)) + " s";
    whyNot = whyNotAfterWait;
  } else if (lock.acquired()) {
    // Another process may have finished between our first look and taking the lock.
    if ((provided.engine = loadCached(runtime, provided.path, key, whyNot))) {
      emit(observer, event(EngineEvent::Kind::CacheHit, provided.path));
      return provided;
    }
  }
  if (whyNot != "no cached engine") emit(observer, event(EngineEvent::Kind::CacheRejected, provided.path, whyNot));
  provided.rebuildReason = whyNot;

  const std::string timingPath = cacheDir + "/" + timingCacheFileName(key.tensorrtVersion, key.gpuUuid);
  BuildRequest request;
  request.onnx = &onnx;
  request.precision = key.precision;
  request.profile = key.profile;
  request.workspaceBytes = key.workspaceBytes;
  if (std::optional<std::vector<uint8_t>> timing = readWholeFile(timingPath)) request.timingCache = std::move(*timing);

  emit(observer,
       event(EngineEvent::Kind::BuildStarted, provided.path,
             std::string("building the ") + precisionName(key.precision) + " TensorRT " + key.tensorrtVersion +
                 " engine for " + key.profile.describe() + " (" + whyNot + "); this can take minutes"));
  ObservedMonitor monitor(observer);
  const auto start = std::chrono::steady_clock::now();
  BuildResult built = runtime.build(request, &monitor);
  provided.buildSeconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count();
  provided.built = true;
  EngineEvent finished = event(EngineEvent::Kind::BuildFinished, provided.path);
  finished.seconds = provided.buildSeconds;
  emit(observer, finished);

  writeQuietly(provided.path, encodeEngineFile(key.canonical(), built.plan.data(), built.plan.size()), observer, true);
  if (!built.timingCache.empty()) writeQuietly(timingPath, built.timingCache, observer, false);

  try {
    provided.engine = runtime.load(built.plan.data(), built.plan.size());
  } catch (const CodedError& e) {
    if (std::string(e.code()) == codes::kModelInvalid) throw;  // tensor roles: the model's fault, not TensorRT's
    throw CodedError(codes::kNativeError, std::string("the engine TensorRT just built does not load: ") + e.what());
  }
  return provided;
}

}  // namespace retinaface::trt
