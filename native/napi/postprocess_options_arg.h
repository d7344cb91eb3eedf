// Reading decode + NMS options ({scoreThreshold, nmsThreshold, preNmsTopK, maxFaces, clip}) into PostprocessOptions:
// one reader, one set of bounds, for the CPU postprocess call and the TensorRT session's detect().
#pragma once
#include <napi.h>

#include "../core/postprocess.h"
#include "args.h"

namespace retinaface::napi {

// Largest pre-NMS top-k and face cap any call accepts (lib/options.ts allows at most 1e7 and 1e6 first).
constexpr int kMaxFaceCap = 1 << 24;

inline PostprocessOptions postprocessOptionsArg(const Napi::Value& value) {
  Napi::Object object = objectArg(value, "options");
  PostprocessOptions options;
  options.scoreThreshold = static_cast<float>(numberProperty(object, "scoreThreshold"));
  options.nmsThreshold = static_cast<float>(numberProperty(object, "nmsThreshold"));
  options.preNmsTopK = intProperty(object, "preNmsTopK", 0, kMaxFaceCap);
  options.maxFaces = intProperty(object, "maxFaces", 0, kMaxFaceCap);
  options.clip = boolProperty(object, "clip");
  return options;
}

}  // namespace retinaface::napi
