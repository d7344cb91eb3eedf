// Checks of CUDA runtime calls: a failure throws CodedError(INFERENCE_FAILED) whose message names the runtime's error
// (e.g. cudaErrorMemoryAllocation), its description and the call that failed. Kept free of N-API so the kernels
// and tests stay Node-free.
#pragma once
#include <cuda_runtime_api.h>

#include "core/coded_error.h"

namespace retinaface::cuda {

// Throws CodedError when status is not cudaSuccess.
void checkCuda(cudaError_t status, const char* operation, const char* file, int line);

// Throws CodedError for a failed kernel launch (bad configuration, missing kernel image for this device).
void checkLaunch(const char* kernel, const char* file, int line);

}  // namespace retinaface::cuda

#define RF_CUDA_CHECK(call) ::retinaface::cuda::checkCuda((call), #call, __FILE__, __LINE__)
#define RF_CUDA_CHECK_LAUNCH(kernel) ::retinaface::cuda::checkLaunch(kernel, __FILE__, __LINE__)
