// The native side's one exception type: a stable code (codes::k*, shared with lib/errors.ts) and a message. Core,
// CUDA kernels, the TensorRT backend and the N-API shell all throw it; the shell turns it into a JS Error whose
// `code` is the same string (native/napi/js_error.h). Plain C++: no Node, CUDA or TensorRT.
#pragma once
#include <stdexcept>
#include <string>

#include "error_codes.h"

namespace retinaface {

class CodedError : public std::runtime_error {
 public:
  CodedError(const char* code, const std::string& message) : std::runtime_error(message), code_(code) {}
  const char* code() const { return code_; }

 private:
  const char* code_;  // always one of the codes:: literals
};

}  // namespace retinaface
