// What the pipeline needs from one TensorRT generation: its version, building a serialized engine from an ONNX,
// and deserializing one. The addon implements it over a TensorRT layer library (layer/layer_runtime.*), the tests with
// a fake. Calls may come from any thread, one build at a time per runtime.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine.h"
#include "engine_spec.h"

namespace retinaface::trt {

struct BuildRequest {
  const std::vector<uint8_t>* onnx = nullptr;
  Precision precision = Precision::Fp16;
  ShapeProfile profile;  // dimensions the ONNX fixes override the request's (a fixed 1x3x640x640 model stays so)
  uint64_t workspaceBytes = 0;
  std::vector<uint8_t> timingCache;  // empty: start a new one
};

struct BuildResult {
  std::vector<uint8_t> plan;
  std::vector<uint8_t> timingCache;  // updated with this build's measurements; empty if unavailable
};

// Builder progress. TensorRT may call it from its own worker threads, not only the one that called build(), so
// implementations must be thread-safe. Phase names come from TensorRT and change between versions.
class BuildMonitor {
 public:
  virtual ~BuildMonitor() = default;
  virtual void phaseStart(const std::string& phase, const std::string& parent, int steps) = 0;
  virtual bool stepComplete(const std::string& phase, int step) = 0;  // false stops the build
  virtual void phaseFinish(const std::string& phase) = 0;
};

class EngineRuntime {
 public:
  virtual ~EngineRuntime() = default;
  virtual std::string version() const = 0;  // of the loaded TensorRT library, e.g. "10.16.0"
  // Tells two builds of one version apart (CUDA major, library size); part of the engine cache key.
  virtual std::string buildIdentity() const { return ""; }
  // Throws CodedError: MODEL_INVALID when the ONNX does not parse or build, DETECTOR_CLOSED when the monitor
  // stopped it, NATIVE_ERROR otherwise.
  virtual BuildResult build(const BuildRequest& request, BuildMonitor* monitor) = 0;
  // Throws CodedError when TensorRT rejects the plan (another version, another GPU, corrupt bytes).
  virtual std::unique_ptr<Engine> load(const uint8_t* plan, size_t size) = 0;
};

}  // namespace retinaface::trt
