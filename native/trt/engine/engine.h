// The seam between the batching pipeline and TensorRT: a deserialized engine and its per-stream execution contexts.
// The addon implements it over the TensorRT layer library (layer/layer_runtime.*); the C++ tests implement it with a
// fake that replays recorded network outputs, so everything around the engine runs without TensorRT or a GPU.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine_spec.h"

namespace retinaface::trt {

enum class TensorType { Float32, Float16, Other };

struct TensorDescription {
  std::string name;
  bool isInput = false;
  TensorType type = TensorType::Other;
  std::vector<int64_t> shape;  // -1 for a dimension that is dynamic in the engine
};

struct EngineDescription {
  std::vector<TensorDescription> tensors;  // every I/O tensor, in the engine's order
  ShapeProfile profile;                    // the input's optimisation profile (profile 0), as built
};

// Device addresses of the four I/O tensors for one call (the buffers are sized for the profile's maximum).
struct TensorBindings {
  void* input = nullptr;  // [batch, 3, h, w], float32 or float16 as the engine's input type says
  float* loc = nullptr;   // [batch, priors, 4]
  float* conf = nullptr;  // [batch, priors, 2]
  float* landms = nullptr;  // [batch, priors, 10]
};

struct InferenceCall {
  int batch = 0;
  InputSize size;
  TensorBindings tensors;
};

class ExecutionContext {
 public:
  virtual ~ExecutionContext() = default;
  // Sets the input shape and every I/O tensor address, checks that the outputs for that shape are
  // [batch, priorCount(w, h), 4 | 2 | 10] (MODEL_OUTPUT_MISMATCH otherwise, before anything is enqueued), then
  // enqueues the network on `stream` and returns without waiting. Throws CodedError.
  virtual void enqueue(const InferenceCall& call, void* stream) = 0;
};

class Engine {
 public:
  virtual ~Engine() = default;
  virtual const EngineDescription& description() const = 0;
  // One per stream: a context holds one call's shapes, addresses and activation memory. Throws CodedError.
  virtual std::unique_ptr<ExecutionContext> createContext() = 0;
};

}  // namespace retinaface::trt
