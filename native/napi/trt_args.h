// Readers for trtOpen()'s options and a session's detect() arguments. JS validates and explains first (see
// lib/backends/tensorrt.ts); these only refuse what would be unsafe, with INVALID_ARGUMENT.
#pragma once
#include <napi.h>

#include <string>
#include <vector>

#include "../trt/pipeline/detect_request.h"
#include "../trt/pipeline/detector_session.h"

namespace retinaface::napi {

struct OpenOptions {
  trt::SessionConfig session;
  std::string layerDir;        // where libretinaface_trtN.so are looked for
  int logSeverity = 2;         // TensorRT messages at this severity or more severe reach JS (2 = warnings)
  int pinnedSlots = 3;
  size_t pinnedSlotBytes = 32u << 20;
};

OpenOptions readOpenOptions(const Napi::Value& value);

// Pixel views into the caller's typed arrays, and references that keep those arrays alive until the batch ends.
struct DetectArguments {
  trt::DetectRequest request;
  std::vector<Napi::Reference<Napi::Value>> keepAlive;
};

DetectArguments readDetectArguments(const Napi::CallbackInfo& info);

}  // namespace retinaface::napi
