// GPU twin of letterboxToTensor (native/core/preprocess.cc) for a whole batch: uint8 gray/RGB/RGBA HWC pixels, as
// uploaded by uploadBatch, -> network input NCHW, B,G,R planes minus (104,117,123), FP32 or FP16, with the letterbox
// resize done with OpenCV INTER_LINEAR's tables and fixed-point blend, so the result equals the CPU's bit for bit.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/resize_tap.h"
#include "device_buffer.h"
#include "image_geometry.h"

namespace retinaface::cuda {

enum class TensorFormat { Float32, Float16 };

using retinaface::ResizeTap;  // core/resize_tap.h: one destination coordinate's source index and weights

class GpuPreprocessor {
 public:
  // Tap tables for up to maxBatch images on canvases up to maxInputWidth x maxInputHeight, allocated on `stream`.
  GpuPreprocessor(int maxBatch, int maxInputWidth, int maxInputHeight, cudaStream_t stream);

  // Writes `count` images of inputWidth x inputHeight into output ([count, 3, H, W] floats or halves) on `stream`.
  // base: the uploaded batch (pixel offsets are relative to it); geometry: its device ImageGeometry array.
  // Every element of the output is written (padding is 0).
  void enqueue(const uint8_t* base, const ImageGeometry* geometry, int count, int inputWidth, int inputHeight,
               TensorFormat format, void* output, cudaStream_t stream);

 private:
  int maxBatch_, maxInputWidth_, maxInputHeight_;
  DeviceBuffer<ResizeTap> xTaps_, yTaps_;
};

}  // namespace retinaface::cuda
