#include "layer_errors.h"

#include <cstring>

namespace retinaface::trt::layer {

int32_t fail(RfTrtError* error, RfTrtStatus status, const std::string& message, const ErrorCapture* capture) {
  if (error) {
    std::string text = message;
    if (capture && !capture->text().empty()) text += " (TensorRT: " + capture->text() + ")";
    error->status = status;
    std::strncpy(error->message, text.c_str(), sizeof(error->message) - 1);
    error->message[sizeof(error->message) - 1] = '\0';
  }
  return status;
}

}  // namespace retinaface::trt::layer
