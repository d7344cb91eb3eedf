#include "batch_postprocess.h"

#include <string>

#include "coded_error.h"

namespace retinaface {

std::vector<RawOutputs> splitBatchOutputs(const BatchOutputs& outputs, size_t batch, size_t priors, int inputWidth,
                                          int inputHeight) {
  const size_t n = priors;
  if (outputs.locFloats != batch * n * 4 || outputs.confFloats != batch * n * 2 ||
      outputs.landmsFloats != batch * n * 10) {
    throw CodedError(codes::kModelOutputMismatch,
                     "model outputs do not fit a RetinaFace head for a " + std::to_string(batch) + "x3x" +
                         std::to_string(inputHeight) + "x" + std::to_string(inputWidth) + " input: expected " +
                         std::to_string(n) + " priors per image (loc " + std::to_string(batch * n * 4) + ", conf " +
                         std::to_string(batch * n * 2) + ", landms " + std::to_string(batch * n * 10) +
                         " floats), got loc " + std::to_string(outputs.locFloats) + ", conf " +
                         std::to_string(outputs.confFloats) + ", landms " + std::to_string(outputs.landmsFloats));
  }
  std::vector<RawOutputs> images;
  images.reserve(batch);
  for (size_t i = 0; i < batch; ++i)
    images.push_back(RawOutputs{outputs.loc + i * n * 4, outputs.conf + i * n * 2, outputs.landms + i * n * 10});
  return images;
}

std::vector<std::vector<Face>> postprocessBatch(const BatchOutputs& outputs, const std::vector<Letterbox>& letterboxes,
                                                const PostprocessOptions& options, PriorCache& priorCache) {
  if (letterboxes.empty()) throw CodedError(codes::kInvalidArgument, "a batch needs at least one letterbox");
  const int width = letterboxes[0].inputWidth, height = letterboxes[0].inputHeight;
  for (const Letterbox& box : letterboxes) {
    if (box.inputWidth != width || box.inputHeight != height)
      throw CodedError(codes::kInvalidArgument, "all images of a batch must share one input size");
  }
  const auto priors = priorCache.get(width, height);
  const std::vector<RawOutputs> images = splitBatchOutputs(outputs, letterboxes.size(), priors->size(), width, height);
  std::vector<std::vector<Face>> faces;
  faces.reserve(images.size());
  for (size_t i = 0; i < images.size(); ++i)
    faces.push_back(postprocessImage(images[i], *priors, letterboxes[i], options));
  return faces;
}

}  // namespace retinaface
