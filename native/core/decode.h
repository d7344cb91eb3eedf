// Decoding of the network's raw outputs (one image) into candidate faces above a score threshold.
#pragma once
#include <vector>

#include "decode_face.h"
#include "face.h"
#include "letterbox.h"
#include "priors.h"

namespace retinaface {

// Raw outputs of one image: loc [N,4], conf [N,2] (already softmaxed; face score = conf[:,1]), landms [N,10].
struct RawOutputs {
  const float* loc;
  const float* conf;
  const float* landms;
};

// Appends every prior whose face score is strictly above scoreThreshold, decoded to network-input pixels and then
// mapped back to original-image pixels through the letterbox (no clipping here: NMS runs on unclipped boxes, as
// upstream does). Same float operation order as upstream decode()/decode_landm().
void decodeFaces(const RawOutputs& raw, const std::vector<Prior>& priors, const Letterbox& letterbox,
                 float scoreThreshold, std::vector<Face>& out);

}  // namespace retinaface
