#include "priors.h"

namespace retinaface {

namespace {
int ceilDiv(int value, int divisor) { return (value + divisor - 1) / divisor; }
}  // namespace

int priorCount(int width, int height, const PriorConfig& config) {
  int count = 0;
  for (int level = 0; level < 3; ++level) {
    const int step = config.steps[level];
    count += ceilDiv(height, step) * ceilDiv(width, step) * 2;
  }
  return count;
}

std::vector<Prior> makePriors(int width, int height, const PriorConfig& config) {
  std::vector<Prior> priors;
  priors.reserve(static_cast<size_t>(priorCount(width, height, config)));
  for (int level = 0; level < 3; ++level) {
    const int step = config.steps[level];
    const int rows = ceilDiv(height, step);
    const int cols = ceilDiv(width, step);
    for (int i = 0; i < rows; ++i) {
      for (int j = 0; j < cols; ++j) {
        for (int minSize : config.minSizes[level]) {
          // Same float arithmetic order as upstream PriorBox (x * step / size), so centres match bit for bit.
          const float cx = static_cast<float>((j + 0.5) * step / width);
          const float cy = static_cast<float>((i + 0.5) * step / height);
          priors.push_back({cx, cy, static_cast<float>(static_cast<double>(minSize) / width),
                            static_cast<float>(static_cast<double>(minSize) / height)});
        }
      }
    }
  }
  return priors;
}

}  // namespace retinaface
