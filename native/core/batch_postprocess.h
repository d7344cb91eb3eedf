// Decode + NMS for a batch of images that ran through the network together: the batch's outputs are checked
// against the RetinaFace head for its input size, then split into one RawOutputs per image.
#pragma once
#include <cstddef>
#include <vector>

#include "decode.h"
#include "face.h"
#include "letterbox.h"
#include "postprocess.h"
#include "prior_cache.h"

namespace retinaface {

// A batch's raw outputs as the runtime returns them: flat float arrays holding the images one after another,
// each loc [N,4], conf [N,2], landms [N,10] for N priors.
struct BatchOutputs {
  const float* loc;
  size_t locFloats;
  const float* conf;
  size_t confFloats;
  const float* landms;
  size_t landmsFloats;
};

// One view per image into `outputs`, for `batch` images of `priors` priors each at an inputWidth x inputHeight
// network input. Throws CodedError(MODEL_OUTPUT_MISMATCH), naming the expected and the actual sizes, unless every
// array holds exactly batch x priors rows.
std::vector<RawOutputs> splitBatchOutputs(const BatchOutputs& outputs, size_t batch, size_t priors, int inputWidth,
                                          int inputHeight);

// postprocessImage() for every image; letterboxes[i] places image i, and all share one network input size (whose
// priors come from `priorCache`). Throws CodedError: INVALID_ARGUMENT for no letterbox or mixed input sizes,
// MODEL_OUTPUT_MISMATCH from splitBatchOutputs.
std::vector<std::vector<Face>> postprocessBatch(const BatchOutputs& outputs, const std::vector<Letterbox>& letterboxes,
                                                const PostprocessOptions& options, PriorCache& priorCache);

}  // namespace retinaface
