// trtProbe({ layerDir? }): can the TensorRT backend run here, and if not, what is missing (library, driver, GPU,
// or a piece of this build). Synchronous and cheap after the first call; compiled into every addon, CUDA or not.
#pragma once
#include <napi.h>

namespace retinaface::napi {

Napi::Value trtProbe(const Napi::CallbackInfo& info);

}  // namespace retinaface::napi
