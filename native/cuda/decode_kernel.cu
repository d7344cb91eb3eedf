#include "decode_kernel.h"

#include "core/decode_face.h"
#include "cuda_check.h"

namespace retinaface::cuda {

namespace {

// Descending order of the key = descending score, then ascending prior index: the order std::stable_sort gives the
// CPU (equal scores keep decode order). -0 and +0 compare equal on the CPU, so they get one key.
__device__ __forceinline__ uint64_t descendingSortKey(float score, int prior) {
  if (score == 0.0f) score = 0.0f;
  uint32_t bits = __float_as_uint(score);
  bits = (bits & 0x80000000u) ? ~bits : (bits | 0x80000000u);  // float order as unsigned order
  return (static_cast<uint64_t>(bits) << 32) | static_cast<uint32_t>(~static_cast<uint32_t>(prior));
}

__global__ void decodeKernel(DeviceRawOutputs raw, const Prior* priors, int priorCount, const ImageGeometry* geometry,
                             float inputWidth, float inputHeight, float scoreThreshold, Face* candidates,
                             uint64_t* sortKeys, int* sortValues, int* counts) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int image = blockIdx.y;
  if (i >= priorCount) return;
  const size_t row = static_cast<size_t>(image) * priorCount + i;
  const float score = raw.conf[2 * row + 1];
  if (!(score > scoreThreshold)) return;  // also drops NaN

  // decodeFaces()'s arithmetic (core/decode_face.h, compiled without FMA contraction); only survivors pay for its
  // double exp.
  const Face face = decodeFace(priors[i], raw.loc + 4 * row, raw.landms + 10 * row, score, inputWidth, inputHeight,
                               geometry[image].scale);

  const int slot = atomicAdd(&counts[image], 1);
  const size_t out = static_cast<size_t>(image) * priorCount + slot;
  candidates[out] = face;
  sortKeys[out] = descendingSortKey(score, i);
  sortValues[out] = slot;
}

}  // namespace

void enqueueDecode(const DeviceRawOutputs& raw, const Prior* priors, int priorCount, const ImageGeometry* geometry,
                   int batch, int inputWidth, int inputHeight, float scoreThreshold, Face* candidates,
                   uint64_t* sortKeys, int* sortValues, int* counts, cudaStream_t stream) {
  const int threads = 256;
  const dim3 grid((priorCount + threads - 1) / threads, batch);
  decodeKernel<<<grid, threads, 0, stream>>>(raw, priors, priorCount, geometry, static_cast<float>(inputWidth),
                                             static_cast<float>(inputHeight), scoreThreshold, candidates, sortKeys,
                                             sortValues, counts);
  RF_CUDA_CHECK_LAUNCH("decodeKernel");
}

}  // namespace retinaface::cuda
