#include "batch_upload.h"

#include <stdexcept>
#include <string>

#include "cuda_check.h"

namespace retinaface::cuda {

DeviceBatch uploadBatch(PinnedPool::Lease& lease, const std::vector<PixelView>& images,
                        const std::vector<Letterbox>& letterboxes, uint8_t* deviceDst, size_t deviceCapacity) {
  BatchLayout layout;
  try {
    layout = planBatch(images, letterboxes);
  } catch (const std::invalid_argument& e) {
    throw CodedError(codes::kInvalidArgument, e.what());
  }
  if (layout.totalBytes > lease.capacity() || layout.totalBytes > deviceCapacity)
    throw CodedError(codes::kInvalidArgument, "batch of " + std::to_string(layout.totalBytes) +
                                                  " bytes exceeds the pinned slot (" +
                                                  std::to_string(lease.capacity()) + ") or the device buffer (" +
                                                  std::to_string(deviceCapacity) + ")");
  packBatch(layout, images, lease.data(), lease.capacity());
  lease.copyToDeviceAsync(deviceDst, 0, layout.totalBytes);
  DeviceBatch batch;
  batch.base = deviceDst;
  batch.geometry = reinterpret_cast<const ImageGeometry*>(deviceDst);
  batch.count = static_cast<int>(images.size());
  batch.bytes = layout.totalBytes;
  return batch;
}

}  // namespace retinaface::cuda
