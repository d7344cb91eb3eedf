#include <cstdlib>
#include <fstream>
#include <stdexcept>

#include "cuda_test_support.h"

namespace cudatest {

bool deviceAvailable() {
  static const bool available = [] {
    int count = 0;
    const bool ok = cudaGetDeviceCount(&count) == cudaSuccess && count > 0;
    (void)cudaGetLastError();
    return ok;
  }();
  return available;
}

std::string sharedDir() {
  std::vector<std::string> candidates;
  if (const char* env = std::getenv("RETINAFACE_SHARED")) candidates.push_back(env);
  candidates.push_back(std::string(RETINAFACE_SOURCE_DIR) + "/../shared");
  candidates.push_back(std::string(RETINAFACE_SOURCE_DIR) + "/shared");
  for (const std::string& dir : candidates) {
    if (std::ifstream(dir + "/data/reference/photos_lb640.json")) return dir;
  }
  throw Skip{"reference data not found (set RETINAFACE_SHARED to the shared/ folder)"};
}

std::vector<float> readFloats(const std::string& path) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) throw std::runtime_error("cannot read " + path);
  const std::streamsize bytes = in.tellg();
  in.seekg(0);
  std::vector<float> values(static_cast<size_t>(bytes) / sizeof(float));
  in.read(reinterpret_cast<char*>(values.data()), static_cast<std::streamsize>(values.size() * sizeof(float)));
  if (!in) throw std::runtime_error("short read of " + path);
  return values;
}

Stream::Stream() { RF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_, cudaStreamNonBlocking)); }

Stream::~Stream() {
  (void)cudaStreamSynchronize(stream_);
  (void)cudaStreamDestroy(stream_);
}

void Stream::sync() const { RF_CUDA_CHECK(cudaStreamSynchronize(stream_)); }

void poison(const void* device, size_t bytes, cudaStream_t stream) {
  RF_CUDA_CHECK(cudaMemsetAsync(const_cast<void*>(device), 0xFF, bytes, stream));
}

}  // namespace cudatest
