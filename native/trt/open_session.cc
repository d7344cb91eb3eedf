#include "open_session.h"

#include "core/coded_error.h"
#include "trt/gpu/cuda_platform.h"
#include "trt/layer/layer_loader.h"
#include "trt/layer/layer_runtime.h"
#include "trt/layer/log_router.h"

namespace retinaface::trt {

TensorRtBackend openTensorRt(const std::string& layerDir, int pinnedSlots, size_t pinnedSlotBytes) {
  TensorRtBackend backend;
  backend.availability = probeAvailability(layerDir, true);
  if (!backend.availability.available) throw CodedError(codes::kBackendUnavailable, backend.availability.reason);
  const LayerProbe layer = loadTensorRtLayer(layerDir);
  if (!layer.api)
    throw CodedError(codes::kBackendUnavailable, "the TensorRT layer stopped loading after the probe found it");
  LogRouter::instance().attach(layer.api);
  backend.runtime = std::make_shared<LayerRuntime>(layer.api);
  backend.platform = std::make_shared<CudaPlatform>(pinnedSlots, pinnedSlotBytes);
  return backend;
}

std::unique_ptr<DetectorSession> openSession(const TensorRtBackend& backend, const SessionConfig& config,
                                             EngineObserver* observer) {
  return DetectorSession::open(config, backend.runtime, backend.platform, observer);
}

}  // namespace retinaface::trt
