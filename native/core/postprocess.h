// From one image's raw network outputs to its final faces in original-image pixels.
#pragma once
#include <vector>

#include "decode.h"
#include "face.h"
#include "letterbox.h"
#include "priors.h"

namespace retinaface {

struct PostprocessOptions {
  float scoreThreshold = 0.5f;
  float nmsThreshold = 0.4f;
  int preNmsTopK = 5000;  // 0 = no cap
  int maxFaces = 0;       // 0 = no cap
  bool clip = true;       // clip boxes to the original image (landmarks are left as predicted)
};

// Clamps the box to [0, width] x [0, height].
void clipBox(Face& face, int width, int height);

// decode -> threshold -> sort -> NMS -> cap -> clip. Matches upstream test_widerface.py when clip is false and both
// caps are 0.
std::vector<Face> postprocessImage(const RawOutputs& raw, const std::vector<Prior>& priors, const Letterbox& letterbox,
                                   const PostprocessOptions& options);

}  // namespace retinaface
