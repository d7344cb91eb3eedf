// What a TensorRT engine is built for: precision and the optimisation profile of its input (batch and size ranges).
// Plain C++: shared by the cache key, the TensorRT layer's build request and the lanes' buffer sizing.
#pragma once
#include <string>

namespace retinaface::trt {

// fp16 builds from the FP16 ONNX (float32 only at the input/output boundary); fp32 from the FP32 ONNX with TF32
// off; int8 from the INT8 QDQ ONNX (`retinaface quantize`), TF32 off like fp32, whose Q/DQ nodes set the INT8
// layers (explicit quantization: no kINT8 flag, no calibrator). All build strongly typed networks, so the ONNX alone
// decides the precision of every layer.
enum class Precision { Fp32, Fp16, Int8 };

const char* precisionName(Precision precision);  // "fp32" | "fp16" | "int8"
Precision parsePrecision(const std::string& name);  // throws CodedError(INVALID_ARGUMENT)

struct InputSize {
  int width = 0, height = 0;
  bool operator==(const InputSize& other) const { return width == other.width && height == other.height; }
  bool operator!=(const InputSize& other) const { return !(*this == other); }
};

// Batch 1..maxBatch (tuned for optBatch) and input sizes min..max (tuned for opt). A fixed-size profile has
// min == opt == max.
struct ShapeProfile {
  int maxBatch = 1;
  int optBatch = 1;
  InputSize min, opt, max;

  static ShapeProfile fixed(InputSize size, int maxBatch);
  bool fixedSize() const { return min == max; }
  bool contains(InputSize size) const;
  std::string describe() const;  // e.g. "batch 1..8 (opt 8), 640x640" or "batch 1, 32x32..1920x1920 (opt 640x640)"
};

// Throws CodedError(INVALID_ARGUMENT) naming the first inconsistency (non-positive sizes, min > opt > max, ...).
void validateProfile(const ShapeProfile& profile);

}  // namespace retinaface::trt
