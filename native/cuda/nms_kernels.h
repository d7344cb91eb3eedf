// GPU twin of nonMaximumSuppression + clipBox (native/core/nms.cc, postprocess.cc) for a whole batch, on the
// survivors sorted by segmented_sort: an IoU bitmask in blocks of 64 ("+1" area convention), then a greedy pass per
// image that keeps a face unless a kept, higher-ranked face overlaps it by more than the threshold.
#pragma once
#include <cuda_runtime_api.h>

#include <cstdint>

#include "core/face.h"
#include "image_geometry.h"

namespace retinaface::cuda {

inline constexpr int kNmsBlock = 64;  // candidates per mask word

// The sorted survivors of a batch: image b's rank r is candidates[b * stride + order[b * stride + r]], for
// r < min(counts[b], topK).
struct RankedCandidates {
  const Face* candidates;
  const int* order;
  const int* counts;
  int stride;
  int topK;  // > 0
};

// The suppression bitmask: row i of image b has `words` uint64 at mask + (b * rows + i) * words; bit k of word c is
// set when candidate c * 64 + k (> i) overlaps candidate i by more than iouThreshold. Only the words a greedy pass
// reads (c >= i / 64) are written. blocksPerImage: how many thread blocks share one image's row/column pairs.
void enqueueNmsMask(const RankedCandidates& ranked, int batch, float iouThreshold, uint64_t* mask, int rows, int words,
                    int blocksPerImage, cudaStream_t stream);

// Greedy pass: writes each image's kept faces (at most maxFaces if > 0), best first, as 15-float records to
// faces + (b * faceCapacity + k) * kFaceFloats, boxes clipped to the image when clip is set, and the number kept to
// faceCounts[b]. faceCapacity must hold every face that can be kept.
void enqueueNmsReduce(const RankedCandidates& ranked, int batch, const uint64_t* mask, int rows, int words,
                      int maxFaces, bool clip, const ImageGeometry* geometry, float* faces, int faceCapacity,
                      int* faceCounts, cudaStream_t stream);

}  // namespace retinaface::cuda
