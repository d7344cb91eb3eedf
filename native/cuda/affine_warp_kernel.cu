#include "affine_warp_kernel.h"

#include <string>

#include "core/warp_tap.h"
#include "cuda_check.h"

namespace retinaface::cuda {

namespace {

// One thread per crop pixel of one crop (blockIdx.z). The column and row terms are recomputed per pixel: the same
// double expressions as the CPU's tables (no fused multiply-add: the library builds with --fmad=false).
__global__ void affineWarpKernel(const uint8_t* base, const ImageGeometry* geometry, const WarpCrop* crops, int size,
                                 uint8_t* output) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  if (x >= size || y >= size) return;
  const WarpCrop crop = crops[blockIdx.z];
  const ImageGeometry g = geometry[crop.image];
  const double* I = crop.inverse;
  const WarpTap tap = warpTap(warpRowTerm(I[1], I[2], y), warpColumnTerm(I[0], x), warpRowTerm(I[4], I[5], y),
                              warpColumnTerm(I[3], x));
  uint8_t* out = output + (static_cast<size_t>(blockIdx.z) * size * size + static_cast<size_t>(y) * size + x) * 3;
  warpPixel(base + g.pixelOffset, g.width, g.height, g.channels, g.rowStride, tap, out);
}

}  // namespace

void enqueueAffineWarps(const uint8_t* base, const ImageGeometry* geometry, const WarpCrop* crops, int count, int size,
                        uint8_t* output, cudaStream_t stream) {
  if (count <= 0 || count > 65535)
    throw CodedError(codes::kInvalidArgument, "crop count " + std::to_string(count) + " is not in [1, 65535]");
  if (size <= 0 || size > 4096)
    throw CodedError(codes::kInvalidArgument, "crop size " + std::to_string(size) + " is not in [1, 4096]");
  const dim3 block(32, 8);
  const dim3 grid((size + block.x - 1) / block.x, (size + block.y - 1) / block.y, count);
  affineWarpKernel<<<grid, block, 0, stream>>>(base, geometry, crops, size, output);
  RF_CUDA_CHECK_LAUNCH("affineWarpKernel");
}

}  // namespace retinaface::cuda
