// The one way a TensorRT detector session is opened, by the addon (napi/trt_session.cc) and the standalone
// benchmark (benchmarks/tensorrt/trt_bench.cc) alike: probe, load the layer library, route its log, make the
// runtime over it and the CUDA platform, then find or build the engine and start the lanes. Needs CUDA.
#pragma once
#include <cstddef>
#include <memory>
#include <string>

#include "trt/engine/engine_runtime.h"
#include "trt/pipeline/detector_session.h"
#include "trt/pipeline/device_platform.h"
#include "trt/probe/availability.h"

namespace retinaface::trt {

// What sessions open on; several may share one (the same layer, runtime and pinned pool).
struct TensorRtBackend {
  Availability availability;                 // the probe's answer: TensorRT version, layer and library paths
  std::shared_ptr<EngineRuntime> runtime;    // over the loaded layer, whose log goes to LogRouter
  std::shared_ptr<DevicePlatform> platform;  // the current GPU, with a pinned pool of pinnedSlots x pinnedSlotBytes
};

// The whole probe comes first, so a missing driver is reported as such rather than as a CUDA error later. Throws
// CodedError BACKEND_UNAVAILABLE (with the probe's reason) when TensorRT cannot run here.
TensorRtBackend openTensorRt(const std::string& layerDir, int pinnedSlots, size_t pinnedSlotBytes);

// DetectorSession::open on the backend: engine from the cache or built, tensor roles, lanes, scheduler. Throws
// CodedError; observer (optional) sees cache and build events and may cancel a build.
std::unique_ptr<DetectorSession> openSession(const TensorRtBackend& backend, const SessionConfig& config,
                                             EngineObserver* observer);

}  // namespace retinaface::trt
