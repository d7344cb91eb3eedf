#include "nms_kernels.h"

#include <string>

#include "core/iou.h"
#include "core/min_max.h"
#include "cuda_check.h"

namespace retinaface::cuda {

namespace {

struct Box {
  float x1, y1, x2, y2;
};

__device__ __forceinline__ int rankedCount(const RankedCandidates& ranked, int image) {
  const int count = ranked.counts[image];
  return count < ranked.topK ? count : ranked.topK;
}

__device__ __forceinline__ const Face& rankedFace(const RankedCandidates& ranked, int image, int rank) {
  const size_t base = static_cast<size_t>(image) * ranked.stride;
  return ranked.candidates[base + ranked.order[base + rank]];
}

// Block of 64 threads; blockIdx.y is the image. The block walks the image's (row block, column block) pairs with
// column >= row, a grid stride apart, so the launch size does not depend on the (device-side) survivor counts.
__global__ void nmsMaskKernel(RankedCandidates ranked, float iouThreshold, uint64_t* mask, int rows, int words) {
  __shared__ Box columnBoxes[kNmsBlock];
  const int image = blockIdx.y;
  const int n = rankedCount(ranked, image);
  const int blocks = (n + kNmsBlock - 1) / kNmsBlock;
  for (int pair = blockIdx.x; pair < blocks * blocks; pair += gridDim.x) {
    const int rowBlock = pair / blocks, columnBlock = pair % blocks;
    if (columnBlock < rowBlock) continue;  // never read by the greedy pass; uniform across the block
    const int j = columnBlock * kNmsBlock + threadIdx.x;
    if (j < n) {
      const Face& f = rankedFace(ranked, image, j);
      columnBoxes[threadIdx.x] = Box{f.x1, f.y1, f.x2, f.y2};
    }
    __syncthreads();
    const int i = rowBlock * kNmsBlock + threadIdx.x;
    if (i < n) {
      const Face& f = rankedFace(ranked, image, i);
      const Box mine{f.x1, f.y1, f.x2, f.y2};
      const int columns = (n - columnBlock * kNmsBlock) < kNmsBlock ? n - columnBlock * kNmsBlock : kNmsBlock;
      const int first = (rowBlock == columnBlock) ? threadIdx.x + 1 : 0;
      uint64_t bits = 0;
      for (int k = first; k < columns; ++k) {
        // Upstream keeps a candidate while ovr <= thresh; core/iou.h, the higher-ranked face first as on the CPU.
        if (iouPlusOne(mine, columnBoxes[k]) > iouThreshold) bits |= 1ull << k;
      }
      mask[(static_cast<size_t>(image) * rows + i) * words + columnBlock] = bits;
    }
    __syncthreads();  // columnBoxes is reloaded by the next pair
  }
}

// One warp per image; `removed` (shared, one bit per ranked candidate) collects the suppressions of kept faces.
// Within a word, decisions are sequential (a face kept at bit k can suppress bit k + 1); the kept faces' rows are
// then OR-ed into the later words, one word per lane.
__global__ void nmsReduceKernel(RankedCandidates ranked, const uint64_t* mask, int rows, int words, int maxFaces,
                                bool clip, const ImageGeometry* geometry, float* faces, int faceCapacity,
                                int* faceCounts) {
  extern __shared__ uint64_t removed[];
  const int image = blockIdx.x;
  const int lane = threadIdx.x;
  const int n = rankedCount(ranked, image);
  const int blocks = (n + kNmsBlock - 1) / kNmsBlock;
  for (int w = lane; w < blocks; w += warpSize) removed[w] = 0;
  __syncwarp();

  const uint64_t* imageMask = mask + static_cast<size_t>(image) * rows * words;
  const float width = static_cast<float>(geometry[image].width);
  const float height = static_cast<float>(geometry[image].height);
  float* out = faces + static_cast<size_t>(image) * faceCapacity * kFaceFloats;
  int kept = 0;
  bool full = false;
  for (int w = 0; w < blocks && !full; ++w) {
    uint64_t gone = removed[w];
    uint64_t keptBits = 0;
    const int inWord = (n - w * kNmsBlock) < kNmsBlock ? n - w * kNmsBlock : kNmsBlock;
    for (int bit = 0; bit < inWord; ++bit) {
      if ((gone >> bit) & 1) continue;
      const int i = w * kNmsBlock + bit;
      keptBits |= 1ull << bit;
      gone |= imageMask[static_cast<size_t>(i) * words + w];
      if (lane < kFaceFloats) {
        float value = reinterpret_cast<const float*>(&rankedFace(ranked, image, i))[lane];
        if (clip && lane < 4) value = stdClamp(value, 0.0f, (lane % 2 == 0) ? width : height);
        out[kept * kFaceFloats + lane] = value;
      }
      ++kept;
      if (maxFaces > 0 && kept >= maxFaces) {
        full = true;
        break;
      }
    }
    if (full) break;
    for (int v = w + 1 + lane; v < blocks; v += warpSize) {
      uint64_t acc = removed[v];
      for (uint64_t bits = keptBits; bits; bits &= bits - 1) {
        const int bit = __ffsll(static_cast<long long>(bits)) - 1;
        acc |= imageMask[static_cast<size_t>(w * kNmsBlock + bit) * words + v];
      }
      removed[v] = acc;
    }
    __syncwarp();
  }
  if (lane == 0) faceCounts[image] = kept;
}

}  // namespace

void enqueueNmsMask(const RankedCandidates& ranked, int batch, float iouThreshold, uint64_t* mask, int rows, int words,
                    int blocksPerImage, cudaStream_t stream) {
  if (ranked.topK <= 0 || ranked.topK > rows || (rows + kNmsBlock - 1) / kNmsBlock > words)
    throw CodedError(codes::kInvalidArgument, "NMS mask of " + std::to_string(rows) + " rows cannot hold the top " +
                                                  std::to_string(ranked.topK));
  nmsMaskKernel<<<dim3(blocksPerImage, batch), kNmsBlock, 0, stream>>>(ranked, iouThreshold, mask, rows, words);
  RF_CUDA_CHECK_LAUNCH("nmsMaskKernel");
}

void enqueueNmsReduce(const RankedCandidates& ranked, int batch, const uint64_t* mask, int rows, int words,
                      int maxFaces, bool clip, const ImageGeometry* geometry, float* faces, int faceCapacity,
                      int* faceCounts, cudaStream_t stream) {
  const int keepable = (maxFaces > 0 && maxFaces < ranked.topK) ? maxFaces : ranked.topK;
  if (keepable > faceCapacity)
    throw CodedError(codes::kInvalidArgument, "up to " + std::to_string(keepable) +
                                                  " faces per image can be kept; the output holds " +
                                                  std::to_string(faceCapacity));
  const size_t sharedBytes = static_cast<size_t>(words) * sizeof(uint64_t);
  nmsReduceKernel<<<batch, 32, sharedBytes, stream>>>(ranked, mask, rows, words, maxFaces, clip, geometry, faces,
                                                      faceCapacity, faceCounts);
  RF_CUDA_CHECK_LAUNCH("nmsReduceKernel");
}

}  // namespace retinaface::cuda
