// Internal to the preprocess*.cc files: what the row kernels of every instruction-set tier share. The driver
// (preprocess.cc) builds a RowGeometry per image, owns the work buffers and calls one tier's Kernels per row; the
// tiers (preprocess_portable.cc, preprocess_x86.cc) fill those buffers with the same arithmetic.
#pragma once
#include <cstddef>
#include <cstdint>
#include <vector>

#include "preprocess.h"
#include "preprocess_dispatch.h"
#include "resize_tap.h"

// The SSSE3 and AVX2 tiers are compiled with per-function target attributes and chosen at run time, so the build
// keeps generic x86-64 flags. GCC and Clang only; other compilers and other CPUs run the portable tier.
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#define RETINAFACE_X86_TIERS 1
#else
#define RETINAFACE_X86_TIERS 0
#endif

namespace retinaface::preprocess_detail {

// Source index and the two fixed-point weights for one destination coordinate (resize_tap.h, shared with CUDA).
using Tap = ResizeTap;

std::vector<Tap> makeTaps(int srcSize, int dstSize);

// ---- Horizontal geometry, built once per image and shared by all rows ------------------------------------------

// A horizontal tap resolved to byte offsets within a source row (neighbour clamped at the last pixel).
struct RowTap {
  int offset0, offset1;
  int w0, w1;
};

constexpr int kWindow = 16;     // bytes of one channel plane a shuffle block may draw from (one pshufb source)
constexpr int kBlockOutputs = 8;

// The horizontal taps regrouped for byte shuffles (SSSE3 and AVX2 tiers). A block is up to 8 consecutive outputs
// whose source pairs (s, s+1) all lie in one 16-byte window of a channel plane: all 8 fit for any upscale and for
// downscales up to 2x, fewer for larger ones. Its two pshufb masks put the pairs of outputs 0-3 and 4-7 into
// zero-extended int16 lanes, so a pmaddwd with the (w0, w1) pairs gives the weighted sums directly.
struct ShuffleBlocks {
  std::vector<int> windowStart;  // first source pixel of each block's window
  std::vector<int> firstOutput;  // where the block's 8 results are stored; later blocks overwrite those past its end
  std::vector<uint8_t> lowMasks, highMasks;     // 16 bytes per block: outputs 0-3 and 4-7
  std::vector<int16_t> lowWeights, highWeights;  // 8 int16 per block: (w0, w1) per output
  size_t full = 0;  // leading blocks that hold 8 outputs each (block k starts at output 8k): all but the last up to 2x
  size_t size() const { return windowStart.size(); }
};

// The horizontal taps arranged for reading RGB(A) pixels in pairs (SSSE3 and AVX2 tiers, large downscales): one
// 8-byte load per output holds both neighbours' R, G, B, so the skipped pixels between outputs are never read. Per four
// outputs o..o+3, weightsA holds the (w0, w1) pairs of o, o+1, o, o+1 and weightsB those of o+2, o+3, o+2, o+3,
// matching the lanes that the pair shuffles fill.
struct PairWeights {
  std::vector<int16_t> weightsA, weightsB;
  // Leading outputs whose 8-byte load ends inside the row; the rest take the scalar path. These never have their
  // right neighbour clamped (that is only the last pixel), so it is always the pixel after the left one.
  size_t loadable = 0;
};

enum class Method {
  Taps,  // portable tier: per-output taps on the interleaved row
  Blocks,  // split the row into channel planes, then shuffle blocks
  Pairs,  // RGB(A) shrunk a lot: pairwise 8-byte loads from the interleaved row
};

struct RowGeometry {
  int srcWidth = 0, channels = 0;
  size_t dstWidth = 0;
  Method method = Method::Taps;
  std::vector<RowTap> taps;  // Taps and Pairs (whose scalar tail uses them)
  ShuffleBlocks blocks;  // Blocks
  PairWeights pairs;  // Pairs
};

// ---- Work buffers -----------------------------------------------------------------------------------------------

// A source row split into R, G, B planes (one plane for gray), each followed by a window's worth of zeros so that
// a shuffle block's 16-byte load from any pixel stays inside the buffer.
class ChannelPlanes {
 public:
  ChannelPlanes(int width, int channels)
      : stride_(static_cast<size_t>(width) + kWindow), count_(channels == 1 ? 1 : 3), data_(count_ * stride_) {}
  uint8_t* plane(int c) { return data_.data() + static_cast<size_t>(c) * stride_; }
  int count() const { return count_; }
  // Plane of channel c (R, G, B); a gray image's only plane serves all three.
  uint8_t* channel(int c) { return plane(count_ == 1 ? 0 : c); }

 private:
  size_t stride_;
  int count_;
  std::vector<uint8_t> data_;
};

// One source row after the horizontal pass: int16 planes R, G, B, each padded so that the last shuffle block's
// 8-result store may run past the last output. A gray image fills plane 0 only; planes 1 and 2 are the same memory.
class ResizedRow {
 public:
  ResizedRow(size_t width, int channels)
      : stride_(width + 2 * kBlockOutputs), gray_(channels == 1), data_((gray_ ? 1 : 3) * stride_) {}
  int16_t* plane(int c) { return data_.data() + (gray_ ? 0 : static_cast<size_t>(c) * stride_); }

 private:
  size_t stride_;
  bool gray_;
  std::vector<int16_t> data_;
};

// ---- Tiers ------------------------------------------------------------------------------------------------------

// The row kernels of one tier.
struct Kernels {
  bool shuffles;  // horizontal takes Method::Blocks or Method::Pairs geometry (else Method::Taps)
  // Horizontal pass: one source row -> int16 planes of `out` (see resizeRow in preprocess_portable.cc).
  void (*horizontal)(const RowGeometry&, const uint8_t* row, ChannelPlanes& scratch, ResizedRow& out);
  // Vertical blend of one channel fused with the float conversion and mean subtraction.
  void (*blendToFloat)(const int16_t* top, const int16_t* bottom, int16_t w0, int16_t w1, size_t n, float mean,
                       float* out);
  // The unresized path: split a row into channel planes, then each plane to floats minus the mean.
  void (*splitChannels)(const uint8_t* row, int channels, int width, ChannelPlanes& planes);
  void (*toFloat)(const uint8_t* src, size_t n, float mean, float* out);
};

extern const Kernels kPortableKernels;  // preprocess_portable.cc
#if RETINAFACE_X86_TIERS
extern const Kernels kSsse3Kernels, kAvx2Kernels;  // preprocess_x86.cc
#endif

// The taps, blocks or pairs of one image's rows, as the kernels' `shuffles` asks for (preprocess_rows.cc).
RowGeometry makeRowGeometry(const PixelView& image, int dstWidth, const Kernels& kernels);

// ---- Shared by the tiers and the driver -------------------------------------------------------------------------

// Outputs [from, to) of the horizontal pass (see resizeRow in preprocess_portable.cc), one at a time: every tier's
// scalar outputs.
template <int C>
void resizeTapsScalar(const uint8_t* row, const RowTap* taps, size_t from, size_t to, int16_t* r, int16_t* g,
                      int16_t* b) {
  for (size_t dx = from; dx < to; ++dx) {
    const RowTap& t = taps[dx];
    const uint8_t* p = row + t.offset0;
    const uint8_t* q = row + t.offset1;
    r[dx] = static_cast<int16_t>((p[0] * t.w0 + q[0] * t.w1) >> 4);
    if constexpr (C > 1) {
      g[dx] = static_cast<int16_t>((p[1] * t.w0 + q[1] * t.w1) >> 4);
      b[dx] = static_cast<int16_t>((p[2] * t.w0 + q[2] * t.w1) >> 4);
    }
  }
}

// High half of a 16 x 16-bit product (SSE2's pmulhw; compilers vectorise this form).
inline int mulHigh(int16_t a, int16_t b) { return static_cast<int16_t>((static_cast<int32_t>(a) * b) >> 16); }

// Vertical blend of two horizontal passes, as OpenCV's SIMD path for 8-bit images computes it; emit(i, value).
// The SIMD tiers compute the same in int16 lanes: no intermediate exceeds 16 bits (each product's high half is at
// most 2048 * 32767 >> 16 = 1023).
template <typename Emit>
inline void blendRows(const int16_t* top, const int16_t* bottom, int16_t w0, int16_t w1, size_t n, Emit emit) {
  for (size_t i = 0; i < n; ++i) {
    const int v = (mulHigh(w0, top[i]) + mulHigh(w1, bottom[i]) + 2) >> 2;
    emit(i, v < 0 ? 0 : (v > 255 ? 255 : v));
  }
}

// The portable kernels the SIMD tiers finish their rows with (preprocess_portable.cc).
void blendToFloatPortable(const int16_t* top, const int16_t* bottom, int16_t w0, int16_t w1, size_t n, float mean,
                          float* out);
// Interleaved pixels -> channel planes (R, G, B; alpha dropped; gray copied to plane 0), pixels [from, width).
void splitChannelsFrom(const uint8_t* row, int channels, int from, int width, ChannelPlanes& planes);
void toFloatPortable(const uint8_t* src, size_t n, float mean, float* out);

}  // namespace retinaface::preprocess_detail
