// Typed errors of the GPU path: every failure carries a stable code string, and CUDA failures the runtime's error
// name and message as well as the call that failed. Kept free of N-API so the kernels and tests stay Node-free.
#pragma once
#include <cuda_runtime_api.h>

#include <stdexcept>
#include <string>

namespace retinaface::cuda {

// Codes shared with lib/errors.ts where they cross into JS.
inline constexpr const char* kCudaErrorCode = "CUDA_ERROR";
inline constexpr const char* kInvalidArgumentCode = "INVALID_ARGUMENT";

class GpuError : public std::runtime_error {
 public:
  GpuError(const char* code, const std::string& message) : std::runtime_error(message), code_(code) {}
  const char* code() const { return code_; }

 private:
  const char* code_;
};

// A CUDA runtime call returned something other than cudaSuccess.
class CudaError : public GpuError {
 public:
  CudaError(cudaError_t status, const char* operation, const char* file, int line);
  cudaError_t status() const { return status_; }
  const char* errorName() const;  // e.g. "cudaErrorMemoryAllocation"

 private:
  cudaError_t status_;
};

// Throws CudaError when status is not cudaSuccess.
void checkCuda(cudaError_t status, const char* operation, const char* file, int line);

// Throws CudaError for a failed kernel launch (bad configuration, missing kernel image for this device).
void checkLaunch(const char* kernel, const char* file, int line);

// GpuError with kInvalidArgumentCode.
[[noreturn]] void throwInvalidArgument(const std::string& message);

}  // namespace retinaface::cuda

#define RF_CUDA_CHECK(call) ::retinaface::cuda::checkCuda((call), #call, __FILE__, __LINE__)
#define RF_CUDA_CHECK_LAUNCH(kernel) ::retinaface::cuda::checkLaunch(kernel, __FILE__, __LINE__)
