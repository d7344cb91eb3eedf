// Per-image descending sort of the decode survivors: CUB's segmented radix sort over (key, slot) pairs, one segment
// per image, so no image's candidates can reach another's.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

namespace retinaface::cuda {

// Device temporary storage CUB needs to sort up to maxItems pairs in up to maxSegments segments.
size_t segmentedSortTempBytes(int maxItems, int maxSegments);

// Segment b is [b * stride, b * stride + counts[b]).
void enqueueSegmentBounds(const int* counts, int stride, int segments, int* begin, int* end, cudaStream_t stream);

// Sorts each segment of keysIn/valuesIn by descending key into keysOut/valuesOut. Items outside every segment are
// left alone. Stable, though the keys are unique anyway.
void enqueueSegmentedSortDescending(void* temp, size_t tempBytes, const uint64_t* keysIn, uint64_t* keysOut,
                                    const int* valuesIn, int* valuesOut, int items, int segments, const int* begin,
                                    const int* end, cudaStream_t stream);

}  // namespace retinaface::cuda
