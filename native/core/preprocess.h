// uint8 HWC pixels -> float32 NCHW network input: letterbox resize, BGR order, minus the training mean.
#pragma once
#include <cstdint>

#include "letterbox.h"

namespace retinaface {

// Per-channel mean the network was trained with, in B, G, R order. No 1/255 scaling.
constexpr float kMeanBgr[3] = {104.0f, 117.0f, 123.0f};

struct PixelView {
  const uint8_t* data;
  int width, height;
  int channels;  // 1 (gray), 3 (RGB) or 4 (RGBA; alpha ignored)
  int rowStride; // bytes between rows, >= width * channels
};

// Writes one image's 3 x inputHeight x inputWidth planes into dst (B, G, R). The image is resized to
// letterbox.resized{Width,Height} with OpenCV's INTER_LINEAR arithmetic (half-pixel centres, 11-bit fixed-point
// weights, no antialiasing), which is what the reference implementation used, and placed at the top-left; the
// rest of the canvas is 0 (mean-colour padding). Throws std::invalid_argument on inconsistent geometry.
void letterboxToTensor(const PixelView& image, const Letterbox& letterbox, float* dst);

// The uint8 RGB image letterboxToTensor would see before mean subtraction (resized size, not the canvas);
// exposed so tests can compare resizing with the reference's letterboxed inputs pixel by pixel.
void resizeBilinearRgb(const PixelView& image, int dstWidth, int dstHeight, uint8_t* dstRgb);

}  // namespace retinaface
