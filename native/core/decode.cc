#include "decode.h"

#include <cmath>

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
    const Prior& p = priors[i];
    const float* l = raw.loc + 4 * i;
    const float cx = p.cx + l[0] * kCenterVariance * p.w;
    const float cy = p.cy + l[1] * kCenterVariance * p.h;
    const float w = p.w * std::exp(l[2] * kSizeVariance);
    const float h = p.h * std::exp(l[3] * kSizeVariance);
    const float x1 = cx - w / 2;
    const float y1 = cy - h / 2;
    Face face;
    face.x1 = x1 * inW / scale;
    face.y1 = y1 * inH / scale;
    face.x2 = (w + x1) * inW / scale;
    face.y2 = (h + y1) * inH / scale;
    face.score = score;
    const float* m = raw.landms + 10 * i;
    for (int k = 0; k < kLandmarkCount; ++k) {
      face.landmarks[2 * k] = (p.cx + m[2 * k] * kCenterVariance * p.w) * inW / scale;
      face.landmarks[2 * k + 1] = (p.cy + m[2 * k + 1] * kCenterVariance * p.h) * inH / scale;
    }
    out.push_back(face);
  }
}

}  // namespace retinaface
