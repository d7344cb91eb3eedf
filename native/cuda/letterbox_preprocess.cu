#include "letterbox_preprocess.h"

#include <cuda_fp16.h>

#include <string>

#include "core/preprocess.h"
#include "cuda_check.h"

namespace retinaface::cuda {

namespace {

// kMeanBgr as scalars: device code may use constexpr scalars of the host, not arrays.
constexpr float kMeanBlue = kMeanBgr[0], kMeanGreen = kMeanBgr[1], kMeanRed = kMeanBgr[2];

// Tables are per image (each has its own source and resized size); identity images never read them.
// Only coordinates inside the canvas are built: the pixel kernel reads no others, and the strides hold no more.
__global__ void buildTapsKernel(const ImageGeometry* geometry, int inputWidth, int inputHeight, int tapStrideX,
                                int tapStrideY, ResizeTap* xTaps, ResizeTap* yTaps) {
  const int image = blockIdx.y;
  const int d = blockIdx.x * blockDim.x + threadIdx.x;
  const ImageGeometry g = geometry[image];
  if (d < g.resizedWidth && d < inputWidth) xTaps[image * tapStrideX + d] = resizeTap(g.width, g.resizedWidth, d);
  if (d < g.resizedHeight && d < inputHeight) yTaps[image * tapStrideY + d] = resizeTap(g.height, g.resizedHeight, d);
}

// readRgb() of preprocess.cc: gray is replicated, alpha ignored.
__device__ __forceinline__ void readRgb(const uint8_t* row, int x, int channels, int rgb[3]) {
  const uint8_t* p = row + static_cast<size_t>(x) * channels;
  if (channels == 1) {
    rgb[0] = rgb[1] = rgb[2] = p[0];
  } else {
    rgb[0] = p[0];
    rgb[1] = p[1];
    rgb[2] = p[2];
  }
}

// blendRows() of preprocess.cc: OpenCV's vertical pass for 8-bit images.
__device__ __forceinline__ int blendRows(int top, int bottom, int w0, int w1) {
  const int v = (((w0 * (top >> 4)) >> 16) + ((w1 * (bottom >> 4)) >> 16) + 2) >> 2;
  return v < 0 ? 0 : (v > 255 ? 255 : v);
}

template <typename T>
__device__ __forceinline__ T toOutput(float v);
template <>
__device__ __forceinline__ float toOutput<float>(float v) {
  return v;
}
template <>
__device__ __forceinline__ __half toOutput<__half>(float v) {
  return __float2half_rn(v);  // integers in [-123, 151]: exact in FP16
}

// One thread per canvas pixel of one image (blockIdx.z); writes its B, G and R values.
template <typename T>
__global__ void letterboxPixelsKernel(const uint8_t* base, const ImageGeometry* geometry, const ResizeTap* xTaps,
                                      const ResizeTap* yTaps, int tapStrideX, int tapStrideY, int inputWidth,
                                      int inputHeight, T* output) {
  const int x = blockIdx.x * blockDim.x + threadIdx.x;
  const int y = blockIdx.y * blockDim.y + threadIdx.y;
  const int image = blockIdx.z;
  if (x >= inputWidth || y >= inputHeight) return;
  const ImageGeometry g = geometry[image];
  float blue = 0.0f, green = 0.0f, red = 0.0f;  // padding: the mean colour, 0 after subtraction
  if (x < g.resizedWidth && y < g.resizedHeight) {
    const uint8_t* pixels = base + g.pixelOffset;
    int rgb[3];
    if (g.resizedWidth == g.width && g.resizedHeight == g.height) {
      readRgb(pixels + static_cast<size_t>(y) * g.rowStride, x, g.channels, rgb);
    } else {
      const ResizeTap tx = xTaps[image * tapStrideX + x];
      const ResizeTap ty = yTaps[image * tapStrideY + y];
      const int sx1 = tx.index < g.width - 1 ? tx.index + 1 : g.width - 1;
      const int sy1 = ty.index < g.height - 1 ? ty.index + 1 : g.height - 1;
      const uint8_t* topRow = pixels + static_cast<size_t>(ty.index) * g.rowStride;
      const uint8_t* bottomRow = pixels + static_cast<size_t>(sy1) * g.rowStride;
      int a[3], b[3], c[3], d[3];
      readRgb(topRow, tx.index, g.channels, a);
      readRgb(topRow, sx1, g.channels, b);
      readRgb(bottomRow, tx.index, g.channels, c);
      readRgb(bottomRow, sx1, g.channels, d);
      for (int k = 0; k < 3; ++k) {
        const int top = a[k] * tx.w0 + b[k] * tx.w1;  // horizontal pass, scaled by 2^11
        const int bottom = c[k] * tx.w0 + d[k] * tx.w1;
        rgb[k] = blendRows(top, bottom, ty.w0, ty.w1);
      }
    }
    blue = static_cast<float>(rgb[2]) - kMeanBlue;
    green = static_cast<float>(rgb[1]) - kMeanGreen;
    red = static_cast<float>(rgb[0]) - kMeanRed;
  }
  const size_t plane = static_cast<size_t>(inputWidth) * inputHeight;
  T* out = output + static_cast<size_t>(image) * 3 * plane + static_cast<size_t>(y) * inputWidth + x;
  out[0] = toOutput<T>(blue);
  out[plane] = toOutput<T>(green);
  out[2 * plane] = toOutput<T>(red);
}

}  // namespace

GpuPreprocessor::GpuPreprocessor(int maxBatch, int maxInputWidth, int maxInputHeight, cudaStream_t stream)
    : maxBatch_(maxBatch), maxInputWidth_(maxInputWidth), maxInputHeight_(maxInputHeight) {
  if (maxBatch <= 0 || maxInputWidth <= 0 || maxInputHeight <= 0)
    throw CodedError(codes::kInvalidArgument, "preprocess workspace sizes must be positive");
  xTaps_ = DeviceBuffer<ResizeTap>(static_cast<size_t>(maxBatch) * maxInputWidth, stream);
  yTaps_ = DeviceBuffer<ResizeTap>(static_cast<size_t>(maxBatch) * maxInputHeight, stream);
}

void GpuPreprocessor::enqueue(const uint8_t* base, const ImageGeometry* geometry, int count, int inputWidth,
                              int inputHeight, TensorFormat format, void* output, cudaStream_t stream) {
  if (count <= 0 || count > maxBatch_)
    throw CodedError(codes::kInvalidArgument, "batch of " + std::to_string(count) + " images; the workspace holds 1.." +
                                                  std::to_string(maxBatch_));
  if (inputWidth <= 0 || inputHeight <= 0 || inputWidth > maxInputWidth_ || inputHeight > maxInputHeight_)
    throw CodedError(codes::kInvalidArgument, "network input " + std::to_string(inputWidth) + "x" +
                                                  std::to_string(inputHeight) + " exceeds the workspace's " +
                                                  std::to_string(maxInputWidth_) + "x" +
                                                  std::to_string(maxInputHeight_));
  const int tapThreads = 128;
  const int longest = inputWidth > inputHeight ? inputWidth : inputHeight;
  buildTapsKernel<<<dim3((longest + tapThreads - 1) / tapThreads, count), tapThreads, 0, stream>>>(
      geometry, inputWidth, inputHeight, maxInputWidth_, maxInputHeight_, xTaps_.get(), yTaps_.get());
  RF_CUDA_CHECK_LAUNCH("buildTapsKernel");

  const dim3 block(32, 8);
  const dim3 grid((inputWidth + block.x - 1) / block.x, (inputHeight + block.y - 1) / block.y, count);
  if (format == TensorFormat::Float32) {
    letterboxPixelsKernel<float><<<grid, block, 0, stream>>>(base, geometry, xTaps_.get(), yTaps_.get(), maxInputWidth_,
                                                             maxInputHeight_, inputWidth, inputHeight,
                                                             static_cast<float*>(output));
    RF_CUDA_CHECK_LAUNCH("letterboxPixelsKernel<float>");
  } else {
    letterboxPixelsKernel<__half><<<grid, block, 0, stream>>>(base, geometry, xTaps_.get(), yTaps_.get(),
                                                              maxInputWidth_, maxInputHeight_, inputWidth, inputHeight,
                                                              static_cast<__half*>(output));
    RF_CUDA_CHECK_LAUNCH("letterboxPixelsKernel<__half>");
  }
}

}  // namespace retinaface::cuda
