// One batch of detection work as the pipeline sees it: decoded pixels in, faces in original-image pixels out.
#pragma once
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "core/postprocess.h"
#include "core/preprocess.h"
#include "trt/engine/engine_spec.h"

namespace retinaface::trt {

struct DetectRequest {
  std::vector<PixelView> images;     // must stay valid until the completion runs
  std::optional<InputSize> canvas;   // letterbox every image into it; nullopt: run the images at their own size
  PostprocessOptions options;
};

struct DetectResult {
  std::vector<float> faces;     // kFaceFloats per face (box, score, landmarks), image after image, best first
  std::vector<int32_t> counts;  // faces per image, in request order
};

struct DetectOutcome {
  bool ok = false;
  DetectResult result;
  const char* code = nullptr;  // a codes:: literal when !ok
  std::string message;

  static DetectOutcome success(DetectResult result);
  static DetectOutcome failure(const char* code, std::string message);
};

inline DetectOutcome DetectOutcome::success(DetectResult result) {
  DetectOutcome outcome;
  outcome.ok = true;
  outcome.result = std::move(result);
  return outcome;
}

inline DetectOutcome DetectOutcome::failure(const char* code, std::string message) {
  DetectOutcome outcome;
  outcome.code = code;
  outcome.message = std::move(message);
  return outcome;
}

}  // namespace retinaface::trt
