// Greedy non-maximum suppression, upstream py_cpu_nms semantics ("+1" pixel area convention).
#pragma once
#include <vector>

#include "face.h"
#include "iou.h"  // iouPlusOne(a, b): the "+1" IoU, shared with the CUDA NMS

namespace retinaface {

// Sorts faces by descending score (stable: equal scores keep decode order), keeps at most preNmsTopK of them
// (0 = all), then suppresses any face whose IoU with an already kept, higher-scoring face exceeds iouThreshold.
// Landmarks travel with their box. Keeps at most maxFaces (0 = all).
std::vector<Face> nonMaximumSuppression(std::vector<Face> faces, float iouThreshold, int preNmsTopK, int maxFaces);

}  // namespace retinaface
