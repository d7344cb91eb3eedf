#include "cuda_check.h"

#include <sstream>
#include <string>

namespace retinaface::cuda {

namespace {

// A failing CUDA call on valid input is an inference failure to the caller; the message keeps the CUDA detail.
[[noreturn]] void throwCudaFailure(cudaError_t status, const char* operation, const char* file, int line) {
  std::ostringstream os;
  os << cudaGetErrorName(status) << ": " << cudaGetErrorString(status) << " (" << operation << " at " << file << ":"
     << line << ")";
  throw CodedError(codes::kInferenceFailed, os.str());
}

}  // namespace

void checkCuda(cudaError_t status, const char* operation, const char* file, int line) {
  if (status != cudaSuccess) throwCudaFailure(status, operation, file, line);
}

void checkLaunch(const char* kernel, const char* file, int line) {
  // cudaGetLastError also clears a non-sticky launch error so it is not reported again by an unrelated call.
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throwCudaFailure(status, kernel, file, line);
}

}  // namespace retinaface::cuda
