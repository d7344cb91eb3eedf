#include "engine_tensors.h"

#include "core/coded_error.h"

namespace retinaface::trt {

namespace {

const char* typeName(TensorType type) {
  switch (type) {
    case TensorType::Float32: return "float32";
    case TensorType::Float16: return "float16";
    default: return "other";
  }
}

constexpr const char* kExpected =
    "one float32 (or float16) input [batch, 3, height, width] and three float32 outputs [batch, priors, 4] (loc), "
    "[batch, priors, 2] (conf) and [batch, priors, 10] (landms)";

}  // namespace

std::string describeShape(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i)
    text += (i ? ", " : "") + (shape[i] < 0 ? std::string("?") : std::to_string(shape[i]));
  return text + "]";
}

std::string describeTensors(const std::vector<TensorDescription>& tensors) {
  std::string text;
  for (const TensorDescription& t : tensors) {
    if (!text.empty()) text += "; ";
    text += std::string(t.isInput ? "input " : "output ") + t.name + ": " + typeName(t.type) + " " +
            describeShape(t.shape);
  }
  return text;
}

EngineTensorRoles mapEngineTensors(const EngineDescription& description) {
  EngineTensorRoles roles;
  const auto invalid = [&]() {
    return CodedError(codes::kModelInvalid, "the engine's tensors are " + describeTensors(description.tensors) +
                                                "; expected " + std::string(kExpected));
  };
  int inputs = 0, outputs = 0;
  for (const TensorDescription& t : description.tensors) {
    if (t.isInput) {
      ++inputs;
      const bool channelsOk = t.shape.size() == 4 && (t.shape[1] == 3 || t.shape[1] < 0);
      if (!channelsOk || (t.type != TensorType::Float32 && t.type != TensorType::Float16)) throw invalid();
      roles.input = t.name;
      roles.inputType = t.type;
      continue;
    }
    ++outputs;
    if (t.type != TensorType::Float32 || t.shape.size() != 3) throw invalid();
    std::string* slot = nullptr;
    switch (t.shape[2]) {
      case 4: slot = &roles.loc; break;
      case 2: slot = &roles.conf; break;
      case 10: slot = &roles.landms; break;
      default: throw invalid();
    }
    if (!slot->empty()) throw invalid();
    *slot = t.name;
  }
  if (inputs != 1 || outputs != 3) throw invalid();
  return roles;
}

void checkOutputShape(const std::string& name, const std::vector<int64_t>& shape, int batch, int priors, int width) {
  const bool ok = shape.size() == 3 && shape[0] == batch && shape[1] == priors && shape[2] == width;
  if (!ok) {
    throw CodedError(codes::kModelOutputMismatch,
                     "output " + name + " is " + describeShape(shape) + " where RetinaFace's anchors need [" +
                         std::to_string(batch) + ", " + std::to_string(priors) + ", " + std::to_string(width) + "]");
  }
}

}  // namespace retinaface::trt
