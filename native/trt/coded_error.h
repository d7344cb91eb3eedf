// Errors of the TensorRT backend: every failure carries a stable code shared with lib/errors.ts, so the N-API shell
// and the standalone benchmark can report it without parsing messages. Plain C++ (no Node, CUDA or TensorRT).
#pragma once
#include <stdexcept>
#include <string>

namespace retinaface::trt {

namespace codes {
inline constexpr const char* kInvalidArgument = "INVALID_ARGUMENT";
inline constexpr const char* kModelInvalid = "MODEL_INVALID";
inline constexpr const char* kModelOutputMismatch = "MODEL_OUTPUT_MISMATCH";
inline constexpr const char* kBackendUnavailable = "BACKEND_UNAVAILABLE";
inline constexpr const char* kInferenceFailed = "INFERENCE_FAILED";
inline constexpr const char* kDetectorClosed = "DETECTOR_CLOSED";
inline constexpr const char* kNativeError = "NATIVE_ERROR";
}  // namespace codes

class CodedError : public std::runtime_error {
 public:
  CodedError(const char* code, const std::string& message) : std::runtime_error(message), code_(code) {}
  const char* code() const { return code_; }

 private:
  const char* code_;  // always one of the string literals above
};

}  // namespace retinaface::trt
