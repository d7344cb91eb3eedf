#include "detector_session.h"

#include "core/coded_error.h"
#include "trt/cache/engine_provider.h"
#include "trt/cache/sha256.h"

namespace retinaface::trt {

std::unique_ptr<DetectorSession> DetectorSession::open(const SessionConfig& config,
                                                       std::shared_ptr<EngineRuntime> runtime,
                                                       std::shared_ptr<DevicePlatform> platform,
                                                       EngineObserver* observer) {
  validateProfile(config.profile);
  if (config.onnx.empty()) throw CodedError(codes::kInvalidArgument, "the ONNX model is empty");
  if (config.streams < 1 || config.streams > 16) throw CodedError(codes::kInvalidArgument, "streams must be in 1..16");
  if (config.cacheDir.empty()) throw CodedError(codes::kInvalidArgument, "no engine cache folder given");

  std::unique_ptr<DetectorSession> session(new DetectorSession());
  session->runtime_ = std::move(runtime);
  session->platform_ = std::move(platform);
  SessionInfo& info = session->info_;
  info.gpu = session->platform_->identity();
  info.tensorrtVersion = session->runtime_->version();
  info.precision = config.precision;
  info.streams = config.streams;

  EngineCacheKey key;
  key.onnxSha256 = sha256Hex(config.onnx.data(), config.onnx.size());
  key.tensorrtVersion = info.tensorrtVersion;
  key.tensorrtBuild = session->runtime_->buildIdentity();
  key.gpuUuid = info.gpu.uuid;
  key.computeCapability = info.gpu.computeCapability();
  key.precision = config.precision;
  key.profile = config.profile;
  key.workspaceBytes = config.workspaceBytes;
  key.builderFlags = builderFlagsText(config.precision);

  ProvidedEngine provided = provideEngine(*session->runtime_, key, config.cacheDir, config.onnx, observer);
  session->engine_ = std::move(provided.engine);
  info.enginePath = provided.path;
  info.built = provided.built;
  info.rebuildReason = provided.rebuildReason;
  info.buildSeconds = provided.buildSeconds;
  info.engine = session->engine_->description();
  info.roles = mapEngineTensors(info.engine);
  validateProfile(info.engine.profile);

  LaneLimits limits;
  limits.maxBatch = info.engine.profile.maxBatch;
  limits.maxInput = info.engine.profile.max;
  limits.inputType = info.roles.inputType;
  limits.preNmsTopK = config.preNmsTopK;
  limits.maxFaces = config.maxFaces;
  std::vector<std::unique_ptr<Lane>> lanes;
  for (int i = 0; i < config.streams; ++i) {
    std::unique_ptr<LaneDevice> device = session->platform_->createLane(limits);
    std::unique_ptr<ExecutionContext> context = session->engine_->createContext();
    lanes.push_back(std::make_unique<Lane>(std::move(device), std::move(context), limits, info.engine.profile));
  }
  session->scheduler_ = std::make_unique<BatchScheduler>(std::move(lanes));
  return session;
}

DetectorSession::~DetectorSession() {
  if (scheduler_) scheduler_->close(CloseMode::CancelQueued);
  scheduler_.reset();
  engine_.reset();
}

}  // namespace retinaface::trt
