// Anchor boxes ("priors") of biubug6/Pytorch_Retinaface for an arbitrary network input size.
#pragma once
#include <cstddef>
#include <vector>

namespace retinaface {

// Normalised centre-size anchor: all fields are fractions of the network input width/height.
struct Prior {
  float cx, cy, w, h;
};

// Anchor configuration (cfg_mnet / cfg_re50 share it).
struct PriorConfig {
  int steps[3] = {8, 16, 32};
  int minSizes[3][2] = {{16, 32}, {64, 128}, {256, 512}};
};

// Number of priors the network emits for an input of width x height: sum over strides s of
// ceil(H/s) * ceil(W/s) * 2.
int priorCount(int width, int height, const PriorConfig& config = PriorConfig());

// Priors in the network's output order: stride-major, then row, column, anchor size.
std::vector<Prior> makePriors(int width, int height, const PriorConfig& config = PriorConfig());

}  // namespace retinaface
