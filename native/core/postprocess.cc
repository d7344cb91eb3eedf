#include "postprocess.h"

#include <utility>

#include "min_max.h"
#include "nms.h"

namespace retinaface {

// stdClamp is std::clamp, and what the NMS kernel clips with.
void clipBox(Face& face, int width, int height) {
  const float w = static_cast<float>(width), h = static_cast<float>(height);
  face.x1 = stdClamp(face.x1, 0.0f, w);
  face.y1 = stdClamp(face.y1, 0.0f, h);
  face.x2 = stdClamp(face.x2, 0.0f, w);
  face.y2 = stdClamp(face.y2, 0.0f, h);
}

std::vector<Face> postprocessImage(const RawOutputs& raw, const std::vector<Prior>& priors, const Letterbox& letterbox,
                                   const PostprocessOptions& options) {
  std::vector<Face> candidates;
  decodeFaces(raw, priors, letterbox, options.scoreThreshold, candidates);
  std::vector<Face> faces = nonMaximumSuppression(std::move(candidates), options.nmsThreshold, options.preNmsTopK,
                                                  options.maxFaces);
  if (options.clip) {
    for (Face& face : faces) clipBox(face, letterbox.sourceWidth, letterbox.sourceHeight);
  }
  return faces;
}

}  // namespace retinaface
