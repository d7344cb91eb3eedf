#include "decode.h"

namespace retinaface {

void decodeFaces(const RawOutputs& raw, const std::vector<Prior>& priors, const Letterbox& letterbox,
                 float scoreThreshold, std::vector<Face>& out) {
  const float inW = static_cast<float>(letterbox.inputWidth);
  const float inH = static_cast<float>(letterbox.inputHeight);
  const float scale = static_cast<float>(letterbox.scale);
  const size_t count = priors.size();
  for (size_t i = 0; i < count; ++i) {
    const float score = raw.conf[2 * i + 1];
    if (!(score > scoreThreshold)) continue;  // also drops NaN
    out.push_back(decodeFace(priors[i], raw.loc + 4 * i, raw.landms + 10 * i, score, inW, inH, scale));
  }
}

}  // namespace retinaface
