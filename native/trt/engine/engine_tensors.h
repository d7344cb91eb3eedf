// Which engine tensor is which: RetinaFace's input and its three heads, matched by shape rather than name (exports
// name them loc/conf/landms, output0/592/593, ...), with the same rules as the CPU backend (lib/backends/cpu.ts).
#pragma once
#include <cstdint>
#include <string>
#include <vector>

#include "engine.h"

namespace retinaface::trt {

struct EngineTensorRoles {
  std::string input, loc, conf, landms;
  TensorType inputType = TensorType::Float32;
};

// Throws CodedError(MODEL_INVALID) naming the tensors found when the engine is not one float32/float16 input
// [batch, 3, h, w] and three float32 outputs [batch, priors, 4 | 2 | 10].
EngineTensorRoles mapEngineTensors(const EngineDescription& description);

// Throws CodedError(MODEL_OUTPUT_MISMATCH) unless shape == [batch, priors, width].
void checkOutputShape(const std::string& name, const std::vector<int64_t>& shape, int batch, int priors, int width);

std::string describeTensors(const std::vector<TensorDescription>& tensors);
std::string describeShape(const std::vector<int64_t>& shape);

}  // namespace retinaface::trt
