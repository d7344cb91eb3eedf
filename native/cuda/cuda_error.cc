#include "cuda_error.h"

#include <sstream>

namespace retinaface::cuda {

namespace {
std::string describe(cudaError_t status, const char* operation, const char* file, int line) {
  std::ostringstream os;
  os << cudaGetErrorName(status) << ": " << cudaGetErrorString(status) << " (" << operation << " at " << file << ":"
     << line << ")";
  return os.str();
}
}  // namespace

CudaError::CudaError(cudaError_t status, const char* operation, const char* file, int line)
    : GpuError(kCudaErrorCode, describe(status, operation, file, line)), status_(status) {}

const char* CudaError::errorName() const { return cudaGetErrorName(status_); }

void checkCuda(cudaError_t status, const char* operation, const char* file, int line) {
  if (status != cudaSuccess) throw CudaError(status, operation, file, line);
}

void checkLaunch(const char* kernel, const char* file, int line) {
  // cudaGetLastError also clears a non-sticky launch error so it is not reported again by an unrelated call.
  const cudaError_t status = cudaGetLastError();
  if (status != cudaSuccess) throw CudaError(status, kernel, file, line);
}

void throwInvalidArgument(const std::string& message) { throw GpuError(kInvalidArgumentCode, message); }

}  // namespace retinaface::cuda
