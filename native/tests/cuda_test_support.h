// Shared helpers of the CUDA test binary: skipping, device presence, reference data, host<->device copies.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <string>
#include <vector>

#include "cuda/cuda_check.h"
#include "cuda/device_buffer.h"
#include "harness.h"

namespace cudatest {

// A case that cannot run here (no device, no reference data) throws it; counted as skipped, not failed.
using Skip = harness::Skip;

// Cases whose name starts with this need a CUDA device; the runner skips them when there is none.
inline constexpr const char* kGpuPrefix = "gpu_";

bool deviceAvailable();

// The project's read-only data folder: $RETINAFACE_SHARED, else ../shared or ./shared beside the sources.
// Throws Skip when none exists.
std::string sharedDir();

// A little-endian float32 file (the reference's raw outputs). Throws std::runtime_error if unreadable.
std::vector<float> readFloats(const std::string& path);

// A non-blocking stream owned by the test; never the default stream.
class Stream {
 public:
  Stream();
  ~Stream();
  Stream(const Stream&) = delete;
  Stream& operator=(const Stream&) = delete;
  cudaStream_t get() const { return stream_; }
  void sync() const;

 private:
  cudaStream_t stream_ = nullptr;
};

template <typename T>
retinaface::cuda::DeviceBuffer<T> toDevice(const std::vector<T>& host, cudaStream_t stream) {
  retinaface::cuda::DeviceBuffer<T> buffer(host.size(), stream);
  RF_CUDA_CHECK(cudaMemcpyAsync(buffer.get(), host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice, stream));
  return buffer;
}

// Copies count elements back and waits for the stream.
template <typename T>
std::vector<T> toHost(const T* device, size_t count, cudaStream_t stream) {
  std::vector<T> host(count);
  RF_CUDA_CHECK(cudaMemcpyAsync(host.data(), device, count * sizeof(T), cudaMemcpyDeviceToHost, stream));
  RF_CUDA_CHECK(cudaStreamSynchronize(stream));
  return host;
}

// Fills device memory with 0xFF bytes (NaN as float, -1 as int) so unwritten results cannot pass.
void poison(const void* device, size_t bytes, cudaStream_t stream);

}  // namespace cudatest
