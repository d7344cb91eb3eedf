// cudaInfo(): what the addon's CUDA code was compiled for and which devices this machine has (only in builds with
// RETINAFACE_WITH_CUDA).
#pragma once
#include <napi.h>

namespace retinaface::napi {

// cudaInfo() -> { compiledArchitectures: string[], runtimeVersion, driverVersion, devicePresent: boolean,
//                 devices: [{ index, name, computeCapability: "8.6", totalMemory, kernelImage }], deviceError? }
Napi::Value cudaInfo(const Napi::CallbackInfo& info);

}  // namespace retinaface::napi
