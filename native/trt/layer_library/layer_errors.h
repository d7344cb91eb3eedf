// Filling the C ABI's error record: status plus one message, with what TensorRT logged during the call appended.
#pragma once
#include <string>

#include "forwarding_logger.h"
#include "trt/layer/layer_api.h"

namespace retinaface::trt::layer {

int32_t fail(RfTrtError* error, RfTrtStatus status, const std::string& message, const ErrorCapture* capture = nullptr);

}  // namespace retinaface::trt::layer
