// Per-image facts the GPU kernels need, in one fixed-layout record shared by host and device: where the image's
// pixels are in the uploaded batch, its size and channel layout, and its letterbox (resized size, scale).
// Plain C++ (no CUDA headers) so the batch packer and its CPU tests can use it.
#pragma once
#include <cstdint>

#include "core/letterbox.h"

namespace retinaface::cuda {

struct ImageGeometry {
  uint64_t pixelOffset;  // bytes from the start of the uploaded batch to the image's first pixel
  int32_t width, height;  // source image (also the clip rectangle of its faces)
  int32_t channels;       // 1 (gray), 3 (RGB) or 4 (RGBA; alpha ignored)
  int32_t rowStride;      // bytes between source rows
  int32_t resizedWidth, resizedHeight;  // image inside the network-input canvas, placed at (0, 0)
  float scale;            // float(letterbox.scale): the exact value decode divides by on the CPU
  int32_t reserved;       // keeps the record 8-byte aligned in arrays
};
static_assert(sizeof(ImageGeometry) == 40, "ImageGeometry is copied byte for byte to the device");

inline ImageGeometry makeImageGeometry(const Letterbox& letterbox, int channels, int rowStride, uint64_t pixelOffset) {
  ImageGeometry g{};
  g.pixelOffset = pixelOffset;
  g.width = letterbox.sourceWidth;
  g.height = letterbox.sourceHeight;
  g.channels = channels;
  g.rowStride = rowStride;
  g.resizedWidth = letterbox.resizedWidth;
  g.resizedHeight = letterbox.resizedHeight;
  g.scale = static_cast<float>(letterbox.scale);
  return g;
}

}  // namespace retinaface::cuda
