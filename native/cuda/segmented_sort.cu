#include "segmented_sort.h"

#include <cub/device/device_segmented_radix_sort.cuh>

#include <string>

#include "cuda_check.h"

namespace retinaface::cuda {

namespace {
__global__ void segmentBoundsKernel(const int* counts, int stride, int segments, int* begin, int* end) {
  const int b = blockIdx.x * blockDim.x + threadIdx.x;
  if (b >= segments) return;
  begin[b] = b * stride;
  end[b] = b * stride + counts[b];
}
}  // namespace

size_t segmentedSortTempBytes(int maxItems, int maxSegments) {
  size_t bytes = 0;
  // A null temp pointer only asks for the size: nothing is launched.
  RF_CUDA_CHECK((cub::DeviceSegmentedRadixSort::SortPairsDescending<uint64_t, int>(
      nullptr, bytes, nullptr, nullptr, nullptr, nullptr, maxItems, maxSegments, static_cast<const int*>(nullptr),
      static_cast<const int*>(nullptr))));
  return bytes;
}

void enqueueSegmentBounds(const int* counts, int stride, int segments, int* begin, int* end, cudaStream_t stream) {
  const int threads = 128;
  segmentBoundsKernel<<<(segments + threads - 1) / threads, threads, 0, stream>>>(counts, stride, segments, begin, end);
  RF_CUDA_CHECK_LAUNCH("segmentBoundsKernel");
}

void enqueueSegmentedSortDescending(void* temp, size_t tempBytes, const uint64_t* keysIn, uint64_t* keysOut,
                                    const int* valuesIn, int* valuesOut, int items, int segments, const int* begin,
                                    const int* end, cudaStream_t stream) {
  const size_t needed = segmentedSortTempBytes(items, segments);
  if (needed > tempBytes)
    throw CodedError(codes::kInvalidArgument, "sort needs " + std::to_string(needed) +
                                                  " bytes of temporary storage, the workspace has " +
                                                  std::to_string(tempBytes));
  size_t bytes = tempBytes;
  RF_CUDA_CHECK(cub::DeviceSegmentedRadixSort::SortPairsDescending(temp, bytes, keysIn, keysOut, valuesIn, valuesOut,
                                                                   items, segments, begin, end, 0,
                                                                   static_cast<int>(sizeof(uint64_t) * 8), stream));
  RF_CUDA_CHECK_LAUNCH("cub::DeviceSegmentedRadixSort::SortPairsDescending");
}

}  // namespace retinaface::cuda
