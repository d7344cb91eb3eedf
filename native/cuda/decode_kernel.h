// GPU twin of decodeFaces (native/core/decode.cc) for a whole batch: threshold the softmaxed face scores, decode box
// and landmarks with the variances, map them back to original pixels through each image's letterbox (same float
// operations in the same order), and compact each image's survivors with an atomic counter.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/face.h"
#include "core/priors.h"
#include "image_geometry.h"

namespace retinaface::cuda {

// The network's outputs for a batch on the device, batch-major: loc [B,N,4], conf [B,N,2], landms [B,N,10].
struct DeviceRawOutputs {
  const float* loc;
  const float* conf;
  const float* landms;
};

// Per image b, survivors land in slots [b * priorCount, b * priorCount + counts[b]) of candidates, sortKeys and
// sortValues, in no particular order; sortKeys make a descending sort equal the CPU's stable sort (score, then prior
// index). counts must be zeroed on the stream before (cudaMemsetAsync).
void enqueueDecode(const DeviceRawOutputs& raw, const Prior* priors, int priorCount, const ImageGeometry* geometry,
                   int batch, int inputWidth, int inputHeight, float scoreThreshold, Face* candidates,
                   uint64_t* sortKeys, int* sortValues, int* counts, cudaStream_t stream);

}  // namespace retinaface::cuda
