#include "decode_kernel.h"

#include "core/decode.h"
#include "cuda_error.h"

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

// std::exp(float) on the CPU is glibc's expf (error under 0.502 ulp, so nearly always the correctly rounded float);
// exp in double rounded once to float nearly always gives that same float, where CUDA's expf may be 1-2 ulp off.
// Only survivors pay for the double exp.
__device__ __forceinline__ float hostLikeExp(float x) { return static_cast<float>(exp(static_cast<double>(x))); }

__global__ void decodeKernel(DeviceRawOutputs raw, const Prior* priors, int priorCount, const ImageGeometry* geometry,
                             float inputWidth, float inputHeight, float scoreThreshold, Face* candidates,
                             uint64_t* sortKeys, int* sortValues, int* counts) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  const int image = blockIdx.y;
  if (i >= priorCount) return;
  const size_t row = static_cast<size_t>(image) * priorCount + i;
  const float score = raw.conf[2 * row + 1];
  if (!(score > scoreThreshold)) return;  // also drops NaN

  // From here on: decodeFaces() expression by expression (compiled without FMA contraction).
  const float inW = inputWidth, inH = inputHeight;
  const float scale = geometry[image].scale;
  const Prior p = priors[i];
  const float* l = raw.loc + 4 * row;
  const float cx = p.cx + l[0] * kCenterVariance * p.w;
  const float cy = p.cy + l[1] * kCenterVariance * p.h;
  const float w = p.w * hostLikeExp(l[2] * kSizeVariance);
  const float h = p.h * hostLikeExp(l[3] * kSizeVariance);
  const float x1 = cx - w / 2;
  const float y1 = cy - h / 2;
  Face face;
  face.x1 = x1 * inW / scale;
  face.y1 = y1 * inH / scale;
  face.x2 = (w + x1) * inW / scale;
  face.y2 = (h + y1) * inH / scale;
  face.score = score;
  const float* m = raw.landms + 10 * row;
  for (int k = 0; k < kLandmarkCount; ++k) {
    face.landmarks[2 * k] = (p.cx + m[2 * k] * kCenterVariance * p.w) * inW / scale;
    face.landmarks[2 * k + 1] = (p.cy + m[2 * k + 1] * kCenterVariance * p.h) * inH / scale;
  }

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
