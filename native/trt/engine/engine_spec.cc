#include "engine_spec.h"

#include <sstream>

#include "core/coded_error.h"

namespace retinaface::trt {

const char* precisionName(Precision precision) {
  switch (precision) {
    case Precision::Fp16: return "fp16";
    case Precision::Int8: return "int8";
    case Precision::Fp32: break;
  }
  return "fp32";
}

Precision parsePrecision(const std::string& name) {
  if (name == "fp16") return Precision::Fp16;
  if (name == "fp32") return Precision::Fp32;
  if (name == "int8") return Precision::Int8;
  throw CodedError(codes::kInvalidArgument, "precision must be 'fp16', 'fp32' or 'int8', got '" + name + "'");
}

ShapeProfile ShapeProfile::fixed(InputSize size, int maxBatch) {
  ShapeProfile profile;
  profile.maxBatch = maxBatch;
  profile.optBatch = maxBatch;
  profile.min = profile.opt = profile.max = size;
  return profile;
}

bool ShapeProfile::contains(InputSize size) const {
  return size.width >= min.width && size.height >= min.height && size.width <= max.width && size.height <= max.height;
}

std::string ShapeProfile::describe() const {
  std::ostringstream text;
  text << "batch " << (maxBatch == 1 ? "1" : "1.." + std::to_string(maxBatch));
  if (maxBatch > 1 && optBatch != maxBatch) text << " (opt " << optBatch << ")";
  text << ", ";
  const auto size = [](InputSize s) { return std::to_string(s.width) + "x" + std::to_string(s.height); };
  if (fixedSize()) {
    text << size(opt);
  } else {
    text << size(min) << ".." << size(max) << " (opt " << size(opt) << ")";
  }
  return text.str();
}

void validateProfile(const ShapeProfile& p) {
  const auto fail = [](const std::string& what) {
    throw CodedError(codes::kInvalidArgument, "engine profile: " + what);
  };
  if (p.maxBatch < 1) fail("maxBatch must be >= 1");
  if (p.optBatch < 1 || p.optBatch > p.maxBatch) fail("optBatch must be in 1..maxBatch");
  if (p.min.width < 1 || p.min.height < 1) fail("sizes must be positive");
  if (!(p.min.width <= p.opt.width && p.opt.width <= p.max.width && p.min.height <= p.opt.height &&
        p.opt.height <= p.max.height))
    fail("sizes must satisfy min <= opt <= max, got " + p.describe());
}

}  // namespace retinaface::trt
