// One detected face, in the coordinate frame of whatever produced it (network input or original image).
#pragma once

namespace retinaface {

constexpr int kLandmarkCount = 5;
// Floats per face in flat buffers handed across the N-API boundary: box(4) + score(1) + landmarks(10).
constexpr int kFaceFloats = 4 + 1 + 2 * kLandmarkCount;

struct Face {
  float x1, y1, x2, y2;
  float score;
  float landmarks[2 * kLandmarkCount];  // x0,y0,...,x4,y4: left eye, right eye, nose, left mouth, right mouth
};

}  // namespace retinaface
