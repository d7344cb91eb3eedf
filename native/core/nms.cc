#include "nms.h"

#include <algorithm>

namespace retinaface {

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
