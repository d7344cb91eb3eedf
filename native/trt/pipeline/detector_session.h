// Everything one TensorRT detector holds, assembled in order: GPU identity -> cache key -> engine (cached or built)
// -> tensor roles -> one lane (stream + execution context + buffers) per stream -> scheduler. Used by the N-API
// shell and by the standalone benchmark; the tests assemble it from fakes.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "batch_scheduler.h"
#include "device_platform.h"
#include "trt/cache/engine_events.h"
#include "trt/engine/engine_runtime.h"
#include "trt/engine/engine_tensors.h"

namespace retinaface::trt {

struct SessionConfig {
  std::vector<uint8_t> onnx;  // exactly what is built: the FP16 twin for fp16
  Precision precision = Precision::Fp16;
  ShapeProfile profile;
  uint64_t workspaceBytes = 1ULL << 30;
  std::string cacheDir;  // engines and timing caches
  int streams = 2;
  int preNmsTopK = 5000;  // postprocessing caps the lanes are sized for (0 = none)
  int maxFaces = 1000;
};

struct SessionInfo {
  std::string enginePath;
  bool built = false;
  std::string rebuildReason;
  double buildSeconds = 0;
  std::string tensorrtVersion;
  GpuIdentity gpu;
  Precision precision = Precision::Fp16;
  EngineDescription engine;
  EngineTensorRoles roles;
  int streams = 0;
};

class DetectorSession {
 public:
  // Throws CodedError. observer (optional) sees cache and build events and may cancel a build; it is not kept.
  static std::unique_ptr<DetectorSession> open(const SessionConfig& config, std::shared_ptr<EngineRuntime> runtime,
                                               std::shared_ptr<DevicePlatform> platform, EngineObserver* observer);
  ~DetectorSession();  // close(CancelQueued), then the engine, then the runtime
  DetectorSession(const DetectorSession&) = delete;
  DetectorSession& operator=(const DetectorSession&) = delete;

  void submit(DetectRequest request, DetectCompletion done) { scheduler_->submit(std::move(request), std::move(done)); }
  // Waits for running batches (and with Drain the queued ones), then frees contexts, streams and buffers.
  void close(CloseMode mode) { scheduler_->close(mode); }
  const SessionInfo& info() const { return info_; }
  size_t queued() const { return scheduler_->queued(); }

 private:
  DetectorSession() = default;
  // Declared in the order they must outlive each other: the scheduler (lanes) goes first, the runtime last.
  std::shared_ptr<EngineRuntime> runtime_;
  std::shared_ptr<DevicePlatform> platform_;
  std::unique_ptr<Engine> engine_;
  std::unique_ptr<BatchScheduler> scheduler_;
  SessionInfo info_;
};

}  // namespace retinaface::trt
