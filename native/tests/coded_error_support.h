// What the CodedError a test body throws says, for the C++ tests of every library (core, CUDA, TensorRT).
#pragma once
#include <functional>
#include <string>

#include "core/coded_error.h"

namespace codedtest {

// "CODE: message" of the CodedError `body` throws, or "none" when it throws nothing.
inline std::string errorOf(const std::function<void()>& body) {
  try {
    body();
  } catch (const retinaface::CodedError& e) {
    return std::string(e.code()) + ": " + e.what();
  }
  return "none";
}

// The code alone of the CodedError `body` throws, or "none".
inline std::string codeOf(const std::function<void()>& body) {
  const std::string error = errorOf(body);
  return error.substr(0, error.find(':'));
}

}  // namespace codedtest
