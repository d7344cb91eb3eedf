// From a batch's raw network outputs on the device to each image's final faces on the device: decode -> per-image
// sort -> NMS -> caps -> clip, all enqueued on one stream with no host round trip. The GPU twin of
// postprocessImage (native/core/postprocess.cc), for many images at once. Not thread-safe: one per stream.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>

#include "core/face.h"
#include "core/postprocess.h"
#include "decode_kernel.h"
#include "device_buffer.h"
#include "device_priors.h"
#include "image_geometry.h"

namespace retinaface::cuda {

// What the workspace is sized for. Device memory grows with maxBatch * priors (candidates, sort) and with
// maxBatch * nmsCapacity^2 / 8 bytes (the NMS bitmask: 200 MB for 64 images at the default 5000).
struct GpuPostprocessLimits {
  int maxBatch = 1;
  int maxInputWidth = 640, maxInputHeight = 640;
  int preNmsTopK = 5000;  // most candidates per image entering NMS; 0 = every prior of the largest input
  int maxFaces = 0;       // most faces per image in the output; 0 = as many as can enter NMS
};

class GpuPostprocessor {
 public:
  // Allocates the workspace on `stream`, which every later call uses too.
  GpuPostprocessor(const GpuPostprocessLimits& limits, cudaStream_t stream);

  // Enqueues the postprocessing of `batch` images whose network input is inputWidth x inputHeight.
  // raw: device outputs, batch-major; geometry: device ImageGeometry per image (scale and source size are read).
  // options: thresholds, clip, and caps no larger than the limits (preNmsTopK 0 = all priors, which must then fit).
  // Results are valid once the stream reaches this point: counts()[b] faces for image b at
  // faces() + b * faceCapacity() * kFaceFloats, in the layout of retinaface::Face, best first.
  void enqueue(const DeviceRawOutputs& raw, const ImageGeometry* geometry, int batch, int inputWidth, int inputHeight,
               const PostprocessOptions& options);

  const float* faces() const { return faces_.get(); }
  const int* counts() const { return faceCounts_.get(); }
  int faceCapacity() const { return faceCapacity_; }
  cudaStream_t stream() const { return stream_; }

 private:
  GpuPostprocessLimits limits_;
  cudaStream_t stream_;
  int maxPriors_;
  int nmsRows_, nmsWords_;
  int faceCapacity_;
  int multiprocessors_;
  DevicePriors priors_;
  DeviceBuffer<int> survivorCounts_;
  DeviceBuffer<Face> candidates_;
  DeviceBuffer<uint64_t> keysIn_, keysOut_;
  DeviceBuffer<int> slotsIn_, slotsOut_;
  DeviceBuffer<int> segmentBegin_, segmentEnd_;
  size_t sortTempBytes_;
  DeviceBuffer<uint8_t> sortTemp_;
  DeviceBuffer<uint64_t> mask_;
  DeviceBuffer<float> faces_;
  DeviceBuffer<int> faceCounts_;
};

}  // namespace retinaface::cuda
