// Finds the engine for a key in the on-disk cache or builds it: a cached file is used only if its header matches
// the key byte for byte, its checksum is right and TensorRT deserializes it; anything else is rebuilt and replaced
// (atomically), never trusted. The timing cache beside it makes rebuilds on the same GPU faster.
#pragma once
#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "engine_events.h"
#include "engine_key.h"
#include "trt/engine/engine.h"
#include "trt/engine/engine_runtime.h"

namespace retinaface::trt {

struct ProvidedEngine {
  std::unique_ptr<Engine> engine;
  std::string path;           // the engine file (written, or found)
  bool built = false;         // false: loaded from the cache
  std::string rebuildReason;  // why it was built ("no cached engine", "plan checksum mismatch ...")
  double buildSeconds = 0;
};

// key.onnxSha256 must be the hash of onnx. Throws CodedError (the build's, or NATIVE_ERROR when a freshly built
// plan does not load). A cache folder that cannot be written only costs a CacheWriteFailed event.
ProvidedEngine provideEngine(EngineRuntime& runtime, const EngineCacheKey& key, const std::string& cacheDir,
                             const std::vector<uint8_t>& onnx, EngineObserver* observer);

}  // namespace retinaface::trt
