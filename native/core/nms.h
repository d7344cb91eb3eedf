// Greedy non-maximum suppression, upstream py_cpu_nms semantics ("+1" pixel area convention).
#pragma once
#include <vector>

#include "face.h"

namespace retinaface {

// Intersection over union with the "+1" convention: width = x2 - x1 + 1.
float iouPlusOne(const Face& a, const Face& b);

// Sorts faces by descending score (stable: equal scores keep decode order), keeps at most preNmsTopK of them
// (0 = all), then suppresses any face whose IoU with an already kept, higher-scoring face exceeds iouThreshold.
// Landmarks travel with their box. Keeps at most maxFaces (0 = all).
std::vector<Face> nonMaximumSuppression(std::vector<Face> faces, float iouThreshold, int preNmsTopK, int maxFaces);

}  // namespace retinaface
