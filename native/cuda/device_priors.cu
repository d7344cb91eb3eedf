#include "device_priors.h"

#include <string>

#include "cuda_check.h"

namespace retinaface::cuda {

namespace {

__host__ __device__ int ceilDiv(int value, int divisor) { return (value + divisor - 1) / divisor; }

// One thread per prior. Same double arithmetic as makePriors ((j + 0.5) * step / width, then rounded to float).
__global__ void makePriorsKernel(int width, int height, int count, Prior* out) {
  const int index = blockIdx.x * blockDim.x + threadIdx.x;
  if (index >= count) return;
  const PriorConfig config;
  int first = 0;
  for (int level = 0; level < 3; ++level) {
    const int step = config.steps[level];
    const int rows = ceilDiv(height, step), cols = ceilDiv(width, step);
    const int levelCount = rows * cols * 2;
    if (index < first + levelCount) {
      const int local = index - first;
      const int cell = local / 2, anchor = local % 2;
      const int i = cell / cols, j = cell % cols;
      const int minSize = config.minSizes[level][anchor];
      Prior p;
      p.cx = static_cast<float>((j + 0.5) * step / width);
      p.cy = static_cast<float>((i + 0.5) * step / height);
      p.w = static_cast<float>(static_cast<double>(minSize) / width);
      p.h = static_cast<float>(static_cast<double>(minSize) / height);
      out[index] = p;
      return;
    }
    first += levelCount;
  }
}

}  // namespace

void enqueueMakePriors(int width, int height, Prior* out, cudaStream_t stream) {
  const int count = priorCount(width, height);
  const int threads = 256;
  makePriorsKernel<<<(count + threads - 1) / threads, threads, 0, stream>>>(width, height, count, out);
  RF_CUDA_CHECK_LAUNCH("makePriorsKernel");
}

DevicePriors::DevicePriors(int maxWidth, int maxHeight, cudaStream_t stream)
    : maxWidth_(maxWidth), maxHeight_(maxHeight) {
  if (maxWidth <= 0 || maxHeight <= 0) throw CodedError(codes::kInvalidArgument, "prior table size must be positive");
  priors_ = DeviceBuffer<Prior>(static_cast<size_t>(priorCount(maxWidth, maxHeight)), stream);
}

const Prior* DevicePriors::forSize(int width, int height, cudaStream_t stream) {
  if (width <= 0 || height <= 0 || width > maxWidth_ || height > maxHeight_)
    throw CodedError(codes::kInvalidArgument, "input " + std::to_string(width) + "x" + std::to_string(height) +
                                                  " exceeds the " + std::to_string(maxWidth_) + "x" +
                                                  std::to_string(maxHeight_) + " the workspace was made for");
  if (width != width_ || height != height_) {
    enqueueMakePriors(width, height, priors_.get(), stream);
    width_ = width;
    height_ = height;
    count_ = priorCount(width, height);
  }
  return priors_.get();
}

}  // namespace retinaface::cuda
