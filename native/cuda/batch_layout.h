// How one batch of decoded images is laid out in a pinned slot, and therefore in the device buffer it is copied to
// in one transfer: an ImageGeometry array first, then each image's pixels, rows packed tightly, every image starting
// on a 16-byte boundary. Uploading uint8 pixels moves 4x fewer bytes than uploading the float tensor.
// Plain C++ so the CPU tests check it without a GPU.
#pragma once
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <stdexcept>
#include <vector>

#include "core/letterbox.h"
#include "core/preprocess.h"
#include "image_geometry.h"

namespace retinaface::cuda {

inline constexpr size_t kBatchAlignment = 16;

struct BatchLayout {
  std::vector<ImageGeometry> images;  // pixelOffset relative to the start of the batch
  size_t totalBytes = 0;               // geometry array + pixels, padding included
};

inline size_t alignUp(size_t value, size_t alignment) { return (value + alignment - 1) / alignment * alignment; }

// Checks every image against its letterbox (same rules as letterboxToTensor) and computes the layout.
inline BatchLayout planBatch(const std::vector<PixelView>& images, const std::vector<Letterbox>& letterboxes) {
  if (images.size() != letterboxes.size()) throw std::invalid_argument("one letterbox per image is needed");
  BatchLayout layout;
  size_t offset = alignUp(images.size() * sizeof(ImageGeometry), kBatchAlignment);
  for (size_t i = 0; i < images.size(); ++i) {
    const PixelView& view = images[i];
    const Letterbox& lb = letterboxes[i];
    if (!view.data || view.width <= 0 || view.height <= 0) throw std::invalid_argument("image has no pixels");
    if (view.channels != 1 && view.channels != 3 && view.channels != 4)
      throw std::invalid_argument("image must have 1, 3 or 4 channels");
    if (view.rowStride < view.width * view.channels)
      throw std::invalid_argument("row stride is smaller than width * channels");
    if (view.width != lb.sourceWidth || view.height != lb.sourceHeight)
      throw std::invalid_argument("letterbox was computed for another image size");
    if (lb.resizedWidth <= 0 || lb.resizedHeight <= 0 || lb.resizedWidth > lb.inputWidth ||
        lb.resizedHeight > lb.inputHeight)
      throw std::invalid_argument("resized image does not fit the network input");
    if (i > 0 && (lb.inputWidth != letterboxes[0].inputWidth || lb.inputHeight != letterboxes[0].inputHeight))
      throw std::invalid_argument("every image of a batch must share the network input size");
    const int packedStride = view.width * view.channels;
    layout.images.push_back(makeImageGeometry(lb, view.channels, packedStride, offset));
    offset = alignUp(offset + static_cast<size_t>(packedStride) * view.height, kBatchAlignment);
  }
  layout.totalBytes = offset;
  return layout;
}

// Writes the geometry array and the packed pixels into dst (capacity bytes). Padding bytes are left as they are.
inline void packBatch(const BatchLayout& layout, const std::vector<PixelView>& images, uint8_t* dst, size_t capacity) {
  if (layout.totalBytes > capacity) throw std::length_error("batch does not fit the pinned slot");
  if (!layout.images.empty()) std::memcpy(dst, layout.images.data(), layout.images.size() * sizeof(ImageGeometry));
  for (size_t i = 0; i < images.size(); ++i) {
    const ImageGeometry& g = layout.images[i];
    const size_t rowBytes = static_cast<size_t>(g.rowStride);
    for (int y = 0; y < g.height; ++y) {
      std::memcpy(dst + g.pixelOffset + rowBytes * static_cast<size_t>(y),
                  images[i].data + static_cast<size_t>(images[i].rowStride) * static_cast<size_t>(y), rowBytes);
    }
  }
}

}  // namespace retinaface::cuda
