#include "nms.h"

#include <algorithm>

namespace retinaface {

namespace {
float areaPlusOne(const Face& f) { return (f.x2 - f.x1 + 1) * (f.y2 - f.y1 + 1); }
}  // namespace

float iouPlusOne(const Face& a, const Face& b) {
  const float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1) + 1);
  const float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1) + 1);
  const float inter = w * h;
  return inter / (areaPlusOne(a) + areaPlusOne(b) - inter);
}

std::vector<Face> nonMaximumSuppression(std::vector<Face> faces, float iouThreshold, int preNmsTopK, int maxFaces) {
  std::stable_sort(faces.begin(), faces.end(), [](const Face& a, const Face& b) { return a.score > b.score; });
  if (preNmsTopK > 0 && faces.size() > static_cast<size_t>(preNmsTopK)) faces.resize(preNmsTopK);

  std::vector<Face> kept;
  std::vector<char> suppressed(faces.size(), 0);
  for (size_t i = 0; i < faces.size(); ++i) {
    if (suppressed[i]) continue;
    kept.push_back(faces[i]);
    if (maxFaces > 0 && kept.size() >= static_cast<size_t>(maxFaces)) break;
    for (size_t j = i + 1; j < faces.size(); ++j) {
      // Upstream keeps a candidate while ovr <= thresh.
      if (!suppressed[j] && iouPlusOne(faces[i], faces[j]) > iouThreshold) suppressed[j] = 1;
    }
  }
  return kept;
}

}  // namespace retinaface
