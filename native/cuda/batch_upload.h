// One batch of decoded images -> one pinned slot -> one async host-to-device copy on the lease's stream.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "batch_layout.h"
#include "pinned_pool.h"

namespace retinaface::cuda {

// Where the uploaded batch lives on the device: the geometry array is at `base`, pixel offsets are relative to it.
struct DeviceBatch {
  const uint8_t* base = nullptr;
  const ImageGeometry* geometry = nullptr;
  int count = 0;
  size_t bytes = 0;
};

// Packs images (with their letterboxes) into the lease's slot and enqueues the copy into deviceDst (capacity bytes).
// Throws CodedError(INVALID_ARGUMENT) when the batch does not fit the slot or the destination.
DeviceBatch uploadBatch(PinnedPool::Lease& lease, const std::vector<PixelView>& images,
                        const std::vector<Letterbox>& letterboxes, uint8_t* deviceDst, size_t deviceCapacity);

}  // namespace retinaface::cuda
