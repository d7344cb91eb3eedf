// EngineRuntime, Engine and ExecutionContext over a loaded TensorRT layer's C API table: the addon's (and the
// benchmark's) way into TensorRT. Maps the layer's status codes to the package's error codes.
#pragma once
#include <memory>
#include <string>

#include "layer_api.h"
#include "trt/engine/engine_runtime.h"

namespace retinaface::trt {

class LayerRuntime : public EngineRuntime {
 public:
  explicit LayerRuntime(const RfTrtApi* api) : api_(api) {}
  std::string version() const override;
  std::string buildIdentity() const override;
  BuildResult build(const BuildRequest& request, BuildMonitor* monitor) override;
  std::unique_ptr<Engine> load(const uint8_t* plan, size_t size) override;

 private:
  const RfTrtApi* api_;
};

// Throws CodedError for a status other than RFTRT_OK; `fallback` is the code for RFTRT_FAILED.
void throwIfFailed(int32_t status, const RfTrtError& error, const char* fallback);

}  // namespace retinaface::trt
