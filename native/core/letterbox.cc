#include "letterbox.h"

#include <algorithm>
#include <cmath>

namespace retinaface {

Letterbox computeLetterbox(int sourceWidth, int sourceHeight, int inputWidth, int inputHeight) {
  Letterbox lb;
  lb.sourceWidth = sourceWidth;
  lb.sourceHeight = sourceHeight;
  lb.inputWidth = inputWidth;
  lb.inputHeight = inputHeight;
  lb.scale = std::min(static_cast<double>(inputWidth) / sourceWidth, static_cast<double>(inputHeight) / sourceHeight);
  // nearbyint uses the current rounding mode, round-half-to-even by default.
  lb.resizedWidth = std::clamp(static_cast<int>(std::nearbyint(sourceWidth * lb.scale)), 1, inputWidth);
  lb.resizedHeight = std::clamp(static_cast<int>(std::nearbyint(sourceHeight * lb.scale)), 1, inputHeight);
  return lb;
}

Letterbox identityLetterbox(int width, int height) { return computeLetterbox(width, height, width, height); }

}  // namespace retinaface
