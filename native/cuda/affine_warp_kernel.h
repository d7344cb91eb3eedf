// GPU twin of warpAffineRgb (native/core/affine_warp.cc): aligned face crops cut from images already on the device
// (an uploaded batch, image_geometry.h), so crops of a GPU batch need not leave the GPU until asked for. Both sides
// run core/warp_tap.h, so a crop equals the CPU's bit for bit.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/affine_matrix.h"
#include "image_geometry.h"

namespace retinaface::cuda {

// One crop: which image of the batch, and the crop -> source matrix (invertAffine of the source -> crop one).
struct WarpCrop {
  double inverse[6];
  int32_t image;
  int32_t reserved;  // keeps the record 8-byte aligned in arrays
};
static_assert(sizeof(WarpCrop) == 56, "WarpCrop is copied byte for byte to the device");

inline WarpCrop makeWarpCrop(int image, const AffineMatrix& inverse) {
  WarpCrop crop{};
  for (int k = 0; k < 6; ++k) crop.inverse[k] = inverse.m[k];
  crop.image = image;
  return crop;
}

// Writes `count` size x size RGB crops (size * size * 3 bytes each, in order) into output on `stream`.
// base: the uploaded batch (pixel offsets are relative to it); geometry: its device ImageGeometry array;
// crops: a device WarpCrop array. Throws CodedError(INVALID_ARGUMENT) on a bad count or size.
void enqueueAffineWarps(const uint8_t* base, const ImageGeometry* geometry, const WarpCrop* crops, int count, int size,
                        uint8_t* output, cudaStream_t stream);

}  // namespace retinaface::cuda
