#include "preprocess.h"

#include <algorithm>
#include <atomic>
#include <cmath>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include "preprocess_dispatch.h"

#if defined(__SSE2__) || defined(_M_X64)
#include <emmintrin.h>
#define RETINAFACE_SSE2 1
#else
#define RETINAFACE_SSE2 0
#endif

// The SSSE3 and AVX2 tiers are compiled with per-function target attributes and chosen at run time, so the build
// keeps generic x86-64 flags. GCC and Clang only; other compilers and other CPUs run the portable tier.
#if (defined(__x86_64__) || defined(__i386__)) && defined(__GNUC__)
#include <immintrin.h>
#define RETINAFACE_X86_TIERS 1
#define RETINAFACE_TARGET(isa) __attribute__((target(isa)))
#else
#define RETINAFACE_X86_TIERS 0
#endif

namespace retinaface {

namespace {

using preprocess_detail::Tier;

constexpr int kCoefBits = 11;  // OpenCV INTER_RESIZE_COEF_BITS
constexpr int kCoefScale = 1 << kCoefBits;

// Source index and the two fixed-point weights for one destination coordinate (OpenCV's resize tables).
struct Tap {
  int index;
  int16_t w0, w1;
};

std::vector<Tap> makeTaps(int srcSize, int dstSize) {
  const double invScale = static_cast<double>(dstSize) / srcSize;
  const double scale = 1.0 / invScale;
  std::vector<Tap> taps(static_cast<size_t>(dstSize));
  for (int d = 0; d < dstSize; ++d) {
    float f = static_cast<float>((d + 0.5) * scale - 0.5);
    int s = static_cast<int>(std::floor(f));
    f -= static_cast<float>(s);
    if (s < 0) {
      s = 0;
      f = 0.0f;
    }
    if (s >= srcSize - 1) {
      s = srcSize - 1;
      f = 0.0f;
    }
    taps[d].index = s;
    taps[d].w0 = static_cast<int16_t>(std::lrint((1.0f - f) * kCoefScale));
    taps[d].w1 = static_cast<int16_t>(std::lrint(f * kCoefScale));
  }
  return taps;
}

// ---- Horizontal geometry, built once per image and shared by all rows ------------------------------------------

// A horizontal tap resolved to byte offsets within a source row (neighbour clamped at the last pixel).
struct RowTap {
  int offset0, offset1;
  int w0, w1;
};

std::vector<RowTap> rowTaps(const std::vector<Tap>& taps, int srcWidth, int channels) {
  std::vector<RowTap> out(taps.size());
  for (size_t i = 0; i < taps.size(); ++i) {
    const int next = taps[i].index < srcWidth - 1 ? taps[i].index + 1 : srcWidth - 1;
    out[i] = {taps[i].index * channels, next * channels, taps[i].w0, taps[i].w1};
  }
  return out;
}

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

ShuffleBlocks makeShuffleBlocks(const std::vector<Tap>& taps, int srcWidth) {
  ShuffleBlocks blocks;
  const size_t n = taps.size();
  for (size_t first = 0; first < n;) {
    const int start = taps[first].index;
    uint8_t mask[2 * kWindow];
    int16_t weights[2 * kBlockOutputs] = {};
    std::memset(mask, 0x80, sizeof mask);  // 0x80: pshufb writes zero (the high bytes of the int16 lanes)
    size_t count = 0;
    for (; count < kBlockOutputs && first + count < n; ++count) {
      const Tap& t = taps[first + count];
      const int next = t.index < srcWidth - 1 ? t.index + 1 : srcWidth - 1;
      if (t.index < start || next - start >= kWindow) break;
      mask[4 * count] = static_cast<uint8_t>(t.index - start);
      mask[4 * count + 2] = static_cast<uint8_t>(next - start);
      weights[2 * count] = t.w0;
      weights[2 * count + 1] = t.w1;
    }
    blocks.windowStart.push_back(start);
    blocks.firstOutput.push_back(static_cast<int>(first));
    blocks.lowMasks.insert(blocks.lowMasks.end(), mask, mask + kWindow);
    blocks.highMasks.insert(blocks.highMasks.end(), mask + kWindow, mask + 2 * kWindow);
    blocks.lowWeights.insert(blocks.lowWeights.end(), weights, weights + kBlockOutputs);
    blocks.highWeights.insert(blocks.highWeights.end(), weights + kBlockOutputs, weights + 2 * kBlockOutputs);
    if (count == kBlockOutputs && blocks.full + 1 == blocks.size()) ++blocks.full;
    first += count;
  }
  return blocks;
}

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

PairWeights makePairWeights(const std::vector<RowTap>& taps, int rowBytes) {
  PairWeights pairs;
  while (pairs.loadable < taps.size() && taps[pairs.loadable].offset0 + 8 <= rowBytes) ++pairs.loadable;
  for (size_t o = 0; o + 4 <= pairs.loadable; o += 4)
    for (int half = 0; half < 2; ++half)
      for (int repeat = 0; repeat < 2; ++repeat)
        for (size_t j = o + 2 * half; j < o + 2 * half + 2; ++j) {
          auto& weights = half == 0 ? pairs.weightsA : pairs.weightsB;
          weights.push_back(static_cast<int16_t>(taps[j].w0));
          weights.push_back(static_cast<int16_t>(taps[j].w1));
        }
  return pairs;
}

enum class Method {
  Taps,    // portable tier: per-output taps on the interleaved row
  Blocks,  // split the row into channel planes, then shuffle blocks
  Pairs,   // RGB(A) shrunk a lot: pairwise 8-byte loads from the interleaved row
};

struct RowGeometry {
  int srcWidth = 0, channels = 0;
  size_t dstWidth = 0;
  Method method = Method::Taps;
  std::vector<RowTap> taps;  // Taps and Pairs (whose scalar tail uses them)
  ShuffleBlocks blocks;      // Blocks
  PairWeights pairs;         // Pairs
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

// ---- Portable tier ----------------------------------------------------------------------------------------------

// Outputs [from, to) of the horizontal pass (see resizeRow), one at a time.
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

// Horizontal pass of one source row into planar rows (R, G, B) of int16: the weighted sum (scaled by kCoefScale)
// shifted right by 4, which fits int16 and is what OpenCV's vertical pass consumes. Specialised per channel count
// so the inner loop has no layout branches; a gray image writes r only.
template <int C>
void resizeRow(const uint8_t* row, [[maybe_unused]] int rowBytes, const std::vector<RowTap>& taps, int16_t* r,
               int16_t* g, int16_t* b) {
  const size_t n = taps.size();
  size_t dx = 0;
#if RETINAFACE_SSE2
  if constexpr (C >= 3) {
    // One pixel at a time, all channels at once: interleave the two neighbours' bytes as 16-bit pairs and
    // multiply-add them with (w0, w1) pairs (pmaddwd). Reads 4 bytes per neighbour, so stop where that would pass
    // the end of the row.
    const __m128i zero = _mm_setzero_si128();
    for (; dx < n && taps[dx].offset1 + 4 <= rowBytes; ++dx) {
      const RowTap& t = taps[dx];
      int32_t pa, pb;
      std::memcpy(&pa, row + t.offset0, 4);
      std::memcpy(&pb, row + t.offset1, 4);
      const __m128i pairs = _mm_unpacklo_epi16(_mm_unpacklo_epi8(_mm_cvtsi32_si128(pa), zero),
                                               _mm_unpacklo_epi8(_mm_cvtsi32_si128(pb), zero));
      const __m128i weights = _mm_set1_epi32((static_cast<int32_t>(t.w1) << 16) | static_cast<uint16_t>(t.w0));
      const __m128i sums = _mm_srai_epi32(_mm_madd_epi16(pairs, weights), 4);
      const __m128i packed = _mm_packs_epi32(sums, sums);
      r[dx] = static_cast<int16_t>(_mm_extract_epi16(packed, 0));
      g[dx] = static_cast<int16_t>(_mm_extract_epi16(packed, 1));
      b[dx] = static_cast<int16_t>(_mm_extract_epi16(packed, 2));
    }
  }
#endif
  resizeTapsScalar<C>(row, taps.data(), dx, n, r, g, b);
}

void horizontalPortable(const RowGeometry& geometry, const uint8_t* row, ChannelPlanes&, ResizedRow& out) {
  const int rowBytes = geometry.srcWidth * geometry.channels;
  int16_t *r = out.plane(0), *g = out.plane(1), *b = out.plane(2);
  switch (geometry.channels) {
    case 1: return resizeRow<1>(row, rowBytes, geometry.taps, r, g, b);
    case 3: return resizeRow<3>(row, rowBytes, geometry.taps, r, g, b);
    default: return resizeRow<4>(row, rowBytes, geometry.taps, r, g, b);
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

void blendToFloatPortable(const int16_t* top, const int16_t* bottom, int16_t w0, int16_t w1, size_t n, float mean,
                          float* out) {
  blendRows(top, bottom, w0, w1, n, [&](size_t x, int v) { out[x] = static_cast<float>(v) - mean; });
}

// Interleaved pixels -> channel planes (R, G, B; alpha dropped; gray copied to plane 0), pixels [from, width).
void splitChannelsFrom(const uint8_t* row, int channels, int from, int width, ChannelPlanes& planes) {
  if (channels == 1) {
    std::memcpy(planes.plane(0) + from, row + from, static_cast<size_t>(width - from));
    return;
  }
  uint8_t *r = planes.plane(0), *g = planes.plane(1), *b = planes.plane(2);
  for (int x = from; x < width; ++x) {
    const uint8_t* p = row + static_cast<size_t>(x) * channels;
    r[x] = p[0];
    g[x] = p[1];
    b[x] = p[2];
  }
}

void splitChannelsPortable(const uint8_t* row, int channels, int width, ChannelPlanes& planes) {
  splitChannelsFrom(row, channels, 0, width, planes);
}

void toFloatPortable(const uint8_t* src, size_t n, float mean, float* out) {
  for (size_t x = 0; x < n; ++x) out[x] = static_cast<float>(src[x]) - mean;
}

// ---- SSSE3 tier -------------------------------------------------------------------------------------------------
#if RETINAFACE_X86_TIERS

RETINAFACE_TARGET("ssse3") inline __m128i load128(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}
RETINAFACE_TARGET("ssse3") inline void store128(void* p, __m128i v) {
  _mm_storeu_si128(static_cast<__m128i*>(p), v);
}

// pshufb masks that pick one channel of 16 RGB pixels (48 bytes) out of each of the three 16-byte chunks.
struct SplitRgbMasks {
  uint8_t mask[3][3][16];  // [channel][chunk][byte]
};
constexpr SplitRgbMasks makeSplitRgbMasks() {
  SplitRgbMasks m{};
  for (int c = 0; c < 3; ++c)
    for (int chunk = 0; chunk < 3; ++chunk)
      for (int i = 0; i < 16; ++i) {
        const int from = 3 * i + c - 16 * chunk;
        m.mask[c][chunk][i] = static_cast<uint8_t>(from >= 0 && from < 16 ? from : 0x80);
      }
  return m;
}
constexpr SplitRgbMasks kSplitRgb = makeSplitRgbMasks();
// Groups one RGBA quad's bytes by channel: R0-3, G0-3, B0-3, A0-3.
alignas(16) constexpr uint8_t kSplitRgbaMask[16] = {0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15};

// One channel of 16 RGB pixels from their three 16-byte chunks.
RETINAFACE_TARGET("ssse3") inline __m128i pickRgbChannel(__m128i a, __m128i b, __m128i c, int channel) {
  const auto& m = kSplitRgb.mask[channel];
  return _mm_or_si128(_mm_or_si128(_mm_shuffle_epi8(a, load128(m[0])), _mm_shuffle_epi8(b, load128(m[1]))),
                      _mm_shuffle_epi8(c, load128(m[2])));
}

RETINAFACE_TARGET("ssse3")
void splitChannelsSsse3(const uint8_t* row, int channels, int width, ChannelPlanes& planes) {
  int x = 0;
  uint8_t *r = planes.channel(0), *g = planes.channel(1), *b = planes.channel(2);
  if (channels == 3) {
    for (; x + 16 <= width; x += 16) {
      const uint8_t* p = row + 3 * static_cast<size_t>(x);
      const __m128i c0 = load128(p), c1 = load128(p + 16), c2 = load128(p + 32);
      store128(r + x, pickRgbChannel(c0, c1, c2, 0));
      store128(g + x, pickRgbChannel(c0, c1, c2, 1));
      store128(b + x, pickRgbChannel(c0, c1, c2, 2));
    }
  } else if (channels == 4) {
    const __m128i mask = load128(kSplitRgbaMask);
    for (; x + 16 <= width; x += 16) {
      const uint8_t* p = row + 4 * static_cast<size_t>(x);
      // Each quad becomes [R G B A] dwords; transposing four of them gives 16 pixels per channel.
      const __m128i q0 = _mm_shuffle_epi8(load128(p), mask), q1 = _mm_shuffle_epi8(load128(p + 16), mask);
      const __m128i q2 = _mm_shuffle_epi8(load128(p + 32), mask), q3 = _mm_shuffle_epi8(load128(p + 48), mask);
      const __m128i rg01 = _mm_unpacklo_epi32(q0, q1), ba01 = _mm_unpackhi_epi32(q0, q1);
      const __m128i rg23 = _mm_unpacklo_epi32(q2, q3), ba23 = _mm_unpackhi_epi32(q2, q3);
      store128(r + x, _mm_unpacklo_epi64(rg01, rg23));
      store128(g + x, _mm_unpackhi_epi64(rg01, rg23));
      store128(b + x, _mm_unpacklo_epi64(ba01, ba23));
    }
  }
  splitChannelsFrom(row, channels, x, width, planes);
}

// Raw views of a ShuffleBlocks' tables, held in locals so the compiler need not reload them after every store.
struct BlockTables {
  const int* windowStart;
  const int* firstOutput;
  const uint8_t *lowMasks, *highMasks;
  const int16_t *lowWeights, *highWeights;
  size_t size, full;
  explicit BlockTables(const ShuffleBlocks& b)
      : windowStart(b.windowStart.data()), firstOutput(b.firstOutput.data()), lowMasks(b.lowMasks.data()),
        highMasks(b.highMasks.data()), lowWeights(b.lowWeights.data()), highWeights(b.highWeights.data()),
        size(b.size()), full(b.full) {}
};

// Block k of the horizontal pass on one channel plane: 8 int16 results stored at the block's first output.
RETINAFACE_TARGET("ssse3")
inline void shuffleBlock(const BlockTables& blocks, size_t k, const uint8_t* plane, int16_t* out) {
  const __m128i window = load128(plane + blocks.windowStart[k]);
  const __m128i low = _mm_madd_epi16(_mm_shuffle_epi8(window, load128(blocks.lowMasks + 16 * k)),
                                     load128(blocks.lowWeights + 8 * k));
  const __m128i high = _mm_madd_epi16(_mm_shuffle_epi8(window, load128(blocks.highMasks + 16 * k)),
                                      load128(blocks.highWeights + 8 * k));
  store128(out + blocks.firstOutput[k], _mm_packs_epi32(_mm_srai_epi32(low, 4), _mm_srai_epi32(high, 4)));
}

// The horizontal pass of Planes channel planes, block by block so that the tables are read once per block.
template <int Planes>
RETINAFACE_TARGET("ssse3")
void shuffleResizeSsse3(const BlockTables& blocks, uint8_t* const* planes, int16_t* const* outs) {
  for (size_t k = 0; k < blocks.size; ++k)
    for (int c = 0; c < Planes; ++c) shuffleBlock(blocks, k, planes[c], outs[c]);
}

// pshufb masks for two outputs' 8-byte loads a | b: as zero-extended int16 (left, right) neighbour pairs, R and G
// of a and b (rg, lanes Ra Rb Ga Gb after pmaddwd) and B of a and b (b, lanes Ba Bb 0 0).
struct PairMasks {
  uint8_t rg[16], b[16];
};
constexpr PairMasks makePairMasks(int channels) {
  PairMasks m{};
  for (int i = 0; i < 16; ++i) m.rg[i] = m.b[i] = 0x80;
  for (int lane = 0; lane < 4; ++lane) {
    const int output = lane % 2, channel = lane / 2;
    m.rg[4 * lane] = static_cast<uint8_t>(8 * output + channel);
    m.rg[4 * lane + 2] = static_cast<uint8_t>(8 * output + channel + channels);
    if (lane < 2) {
      m.b[4 * lane] = static_cast<uint8_t>(8 * output + 2);
      m.b[4 * lane + 2] = static_cast<uint8_t>(8 * output + 2 + channels);
    }
  }
  return m;
}
constexpr PairMasks kPairMasks[2] = {makePairMasks(3), makePairMasks(4)};
inline const PairMasks& pairMasks(int channels) { return kPairMasks[channels == 4 ? 1 : 0]; }

// Two 8-byte loads as one vector.
RETINAFACE_TARGET("ssse3") inline __m128i load2x64(const uint8_t* low, const uint8_t* high) {
  return _mm_unpacklo_epi64(_mm_loadl_epi64(reinterpret_cast<const __m128i*>(low)),
                            _mm_loadl_epi64(reinterpret_cast<const __m128i*>(high)));
}

// Raw views of the pairs method's tables, held in locals so the compiler need not reload them after every store.
struct PairTables {
  const RowTap* taps;
  const int16_t *weightsA, *weightsB;
  size_t loadable;
  explicit PairTables(const RowGeometry& g)
      : taps(g.taps.data()), weightsA(g.pairs.weightsA.data()), weightsB(g.pairs.weightsB.data()),
        loadable(g.pairs.loadable) {}
  const uint8_t* left(const uint8_t* row, size_t output) const { return row + taps[output].offset0; }
};

// Outputs o..o+3 of the pairs method: loads, shuffles and weights give R, G, B sums in int32 lanes, regrouped into
// one vector per channel and packed.
RETINAFACE_TARGET("ssse3")
inline void pairStep4(const uint8_t* row, const PairTables& pairs, const PairMasks& masks, size_t o, int16_t* r,
                      int16_t* g, int16_t* b) {
  const __m128i rgMask = load128(masks.rg), bMask = load128(masks.b);
  const __m128i v01 = load2x64(pairs.left(row, o), pairs.left(row, o + 1));
  const __m128i v23 = load2x64(pairs.left(row, o + 2), pairs.left(row, o + 3));
  const __m128i w01 = load128(pairs.weightsA + 2 * o), w23 = load128(pairs.weightsB + 2 * o);
  const __m128i rg01 = _mm_srai_epi32(_mm_madd_epi16(_mm_shuffle_epi8(v01, rgMask), w01), 4);  // R0 R1 G0 G1
  const __m128i rg23 = _mm_srai_epi32(_mm_madd_epi16(_mm_shuffle_epi8(v23, rgMask), w23), 4);  // R2 R3 G2 G3
  const __m128i b01 = _mm_srai_epi32(_mm_madd_epi16(_mm_shuffle_epi8(v01, bMask), w01), 4);    // B0 B1 0 0
  const __m128i b23 = _mm_srai_epi32(_mm_madd_epi16(_mm_shuffle_epi8(v23, bMask), w23), 4);    // B2 B3 0 0
  const __m128i rg = _mm_packs_epi32(_mm_unpacklo_epi64(rg01, rg23), _mm_unpackhi_epi64(rg01, rg23));
  const __m128i bb = _mm_packs_epi32(_mm_unpacklo_epi64(b01, b23), _mm_setzero_si128());
  _mm_storel_epi64(reinterpret_cast<__m128i*>(r + o), rg);
  _mm_storel_epi64(reinterpret_cast<__m128i*>(g + o), _mm_unpackhi_epi64(rg, rg));
  _mm_storel_epi64(reinterpret_cast<__m128i*>(b + o), bb);
}

template <int C>
RETINAFACE_TARGET("ssse3")
void pairResizeSsse3(const RowGeometry& geometry, const uint8_t* row, ResizedRow& out) {
  int16_t *r = out.plane(0), *g = out.plane(1), *b = out.plane(2);
  const PairTables pairs(geometry);
  size_t o = 0;
  for (; o + 4 <= pairs.loadable; o += 4) pairStep4(row, pairs, pairMasks(C), o, r, g, b);
  resizeTapsScalar<C>(row, pairs.taps, o, geometry.dstWidth, r, g, b);
}

RETINAFACE_TARGET("ssse3")
void horizontalSsse3(const RowGeometry& geometry, const uint8_t* row, ChannelPlanes& planes, ResizedRow& out) {
  if (geometry.method == Method::Pairs)
    return geometry.channels == 4 ? pairResizeSsse3<4>(geometry, row, out) : pairResizeSsse3<3>(geometry, row, out);
  splitChannelsSsse3(row, geometry.channels, geometry.srcWidth, planes);
  uint8_t* in[3] = {planes.plane(0), planes.channel(1), planes.channel(2)};
  int16_t* outs[3] = {out.plane(0), out.plane(1), out.plane(2)};
  if (planes.count() == 1)
    shuffleResizeSsse3<1>(BlockTables(geometry.blocks), in, outs);
  else
    shuffleResizeSsse3<3>(BlockTables(geometry.blocks), in, outs);
}

// Eight outputs of the vertical blend (see blendRows), clamped to 0..255.
RETINAFACE_TARGET("ssse3")
inline __m128i blend8(const int16_t* top, const int16_t* bottom, __m128i w0, __m128i w1) {
  const __m128i sum = _mm_add_epi16(_mm_mulhi_epi16(w0, load128(top)), _mm_mulhi_epi16(w1, load128(bottom)));
  const __m128i v = _mm_srai_epi16(_mm_add_epi16(sum, _mm_set1_epi16(2)), 2);
  return _mm_min_epi16(_mm_max_epi16(v, _mm_setzero_si128()), _mm_set1_epi16(255));
}

RETINAFACE_TARGET("ssse3")
void blendToFloatSsse3(const int16_t* top, const int16_t* bottom, int16_t w0, int16_t w1, size_t n, float mean,
                       float* out) {
  const __m128i vw0 = _mm_set1_epi16(w0), vw1 = _mm_set1_epi16(w1), zero = _mm_setzero_si128();
  const __m128 vmean = _mm_set1_ps(mean);
  size_t x = 0;
  for (; x + 8 <= n; x += 8) {
    const __m128i v = blend8(top + x, bottom + x, vw0, vw1);  // 0..255, so zero-extending is sign-extending
    _mm_storeu_ps(out + x, _mm_sub_ps(_mm_cvtepi32_ps(_mm_unpacklo_epi16(v, zero)), vmean));
    _mm_storeu_ps(out + x + 4, _mm_sub_ps(_mm_cvtepi32_ps(_mm_unpackhi_epi16(v, zero)), vmean));
  }
  blendToFloatPortable(top + x, bottom + x, w0, w1, n - x, mean, out + x);
}

RETINAFACE_TARGET("ssse3") void toFloatSsse3(const uint8_t* src, size_t n, float mean, float* out) {
  const __m128i zero = _mm_setzero_si128();
  const __m128 vmean = _mm_set1_ps(mean);
  size_t x = 0;
  for (; x + 16 <= n; x += 16) {
    const __m128i bytes = load128(src + x);
    const __m128i lo = _mm_unpacklo_epi8(bytes, zero), hi = _mm_unpackhi_epi8(bytes, zero);
    _mm_storeu_ps(out + x, _mm_sub_ps(_mm_cvtepi32_ps(_mm_unpacklo_epi16(lo, zero)), vmean));
    _mm_storeu_ps(out + x + 4, _mm_sub_ps(_mm_cvtepi32_ps(_mm_unpackhi_epi16(lo, zero)), vmean));
    _mm_storeu_ps(out + x + 8, _mm_sub_ps(_mm_cvtepi32_ps(_mm_unpacklo_epi16(hi, zero)), vmean));
    _mm_storeu_ps(out + x + 12, _mm_sub_ps(_mm_cvtepi32_ps(_mm_unpackhi_epi16(hi, zero)), vmean));
  }
  toFloatPortable(src + x, n - x, mean, out + x);
}

// ---- AVX2 tier --------------------------------------------------------------------------------------------------

RETINAFACE_TARGET("avx2") inline __m256i load256(const void* p) {
  return _mm256_loadu_si256(static_cast<const __m256i*>(p));
}
// Two 16-byte loads as the low and high lanes of one vector.
RETINAFACE_TARGET("avx2") inline __m256i load2x128(const void* low, const void* high) {
  return _mm256_inserti128_si256(_mm256_castsi128_si256(load128(low)), load128(high), 1);
}

RETINAFACE_TARGET("avx2") inline __m256i pickRgbChannel(__m256i a, __m256i b, __m256i c, int channel) {
  const auto& m = kSplitRgb.mask[channel];
  const __m256i m0 = _mm256_broadcastsi128_si256(load128(m[0])), m1 = _mm256_broadcastsi128_si256(load128(m[1]));
  const __m256i m2 = _mm256_broadcastsi128_si256(load128(m[2]));
  return _mm256_or_si256(_mm256_or_si256(_mm256_shuffle_epi8(a, m0), _mm256_shuffle_epi8(b, m1)),
                         _mm256_shuffle_epi8(c, m2));
}

// 32 RGB pixels per step: the low lanes hold pixels 0-15, the high lanes 16-31, so the 16-pixel masks apply per lane.
RETINAFACE_TARGET("avx2")
void splitChannelsAvx2(const uint8_t* row, int channels, int width, ChannelPlanes& planes) {
  if (channels != 3) return splitChannelsSsse3(row, channels, width, planes);
  uint8_t *r = planes.plane(0), *g = planes.plane(1), *b = planes.plane(2);
  int x = 0;
  for (; x + 32 <= width; x += 32) {
    const uint8_t* p = row + 3 * static_cast<size_t>(x);
    const __m256i c0 = load2x128(p, p + 48), c1 = load2x128(p + 16, p + 64), c2 = load2x128(p + 32, p + 80);
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(r + x), pickRgbChannel(c0, c1, c2, 0));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(g + x), pickRgbChannel(c0, c1, c2, 1));
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(b + x), pickRgbChannel(c0, c1, c2, 2));
  }
  splitChannelsFrom(row, channels, x, width, planes);
}

// Blocks k and k + 1 of one channel plane, one per 128-bit lane (pshufb and pmaddwd work within lanes): 16 int16
// results, block k's in the low half.
RETINAFACE_TARGET("avx2")
inline __m256i shuffleBlockPair(const uint8_t* plane, int start0, int start1, __m256i lowMasks, __m256i highMasks,
                                __m256i lowWeights, __m256i highWeights) {
  const __m256i window = load2x128(plane + start0, plane + start1);
  const __m256i low = _mm256_madd_epi16(_mm256_shuffle_epi8(window, lowMasks), lowWeights);
  const __m256i high = _mm256_madd_epi16(_mm256_shuffle_epi8(window, highMasks), highWeights);
  return _mm256_packs_epi32(_mm256_srai_epi32(low, 4), _mm256_srai_epi32(high, 4));
}

// The horizontal pass of Planes channel planes, two blocks per step and all planes per step so that each step
// loads the block tables once. Full blocks come first and store 16 consecutive results; the others store each
// block's 8 at its first output.
template <int Planes>
RETINAFACE_TARGET("avx2")
void shuffleResizeAvx2(const BlockTables& blocks, uint8_t* const* planes, int16_t* const* outs) {
  size_t k = 0;
  for (; k + 2 <= blocks.full; k += 2) {
    const __m256i lowMasks = load256(blocks.lowMasks + 16 * k), highMasks = load256(blocks.highMasks + 16 * k);
    const __m256i lowWeights = load256(blocks.lowWeights + 8 * k), highWeights = load256(blocks.highWeights + 8 * k);
    const int start0 = blocks.windowStart[k], start1 = blocks.windowStart[k + 1];
    for (int c = 0; c < Planes; ++c)
      _mm256_storeu_si256(reinterpret_cast<__m256i*>(outs[c] + kBlockOutputs * k),
                          shuffleBlockPair(planes[c], start0, start1, lowMasks, highMasks, lowWeights, highWeights));
  }
  for (; k + 2 <= blocks.size; k += 2) {
    const __m256i lowMasks = load256(blocks.lowMasks + 16 * k), highMasks = load256(blocks.highMasks + 16 * k);
    const __m256i lowWeights = load256(blocks.lowWeights + 8 * k), highWeights = load256(blocks.highWeights + 8 * k);
    const int start0 = blocks.windowStart[k], start1 = blocks.windowStart[k + 1];
    for (int c = 0; c < Planes; ++c) {
      const __m256i sums =
          shuffleBlockPair(planes[c], start0, start1, lowMasks, highMasks, lowWeights, highWeights);
      // Block k first: its results past its end belong to block k + 1, which is stored after it.
      store128(outs[c] + blocks.firstOutput[k], _mm256_castsi256_si128(sums));
      store128(outs[c] + blocks.firstOutput[k + 1], _mm256_extracti128_si256(sums, 1));
    }
  }
  if (k < blocks.size)
    for (int c = 0; c < Planes; ++c) shuffleBlock(blocks, k, planes[c], outs[c]);
}

// Eight outputs per step: the low lanes take outputs o, o+1, o+2, o+3 as pairStep4 does, the high lanes o+4..o+7.
template <int C>
RETINAFACE_TARGET("avx2")
void pairResizeAvx2(const RowGeometry& geometry, const uint8_t* row, ResizedRow& out) {
  int16_t *r = out.plane(0), *g = out.plane(1), *b = out.plane(2);
  const PairTables pairs(geometry);
  const __m256i rgMask = _mm256_broadcastsi128_si256(load128(pairMasks(C).rg));
  const __m256i bMask = _mm256_broadcastsi128_si256(load128(pairMasks(C).b));
  size_t o = 0;
  for (; o + 8 <= pairs.loadable; o += 8) {
    const __m256i v01 = _mm256_inserti128_si256(
        _mm256_castsi128_si256(load2x64(pairs.left(row, o), pairs.left(row, o + 1))),
        load2x64(pairs.left(row, o + 4), pairs.left(row, o + 5)), 1);
    const __m256i v23 = _mm256_inserti128_si256(
        _mm256_castsi128_si256(load2x64(pairs.left(row, o + 2), pairs.left(row, o + 3))),
        load2x64(pairs.left(row, o + 6), pairs.left(row, o + 7)), 1);
    const __m256i w01 = load256(pairs.weightsA + 2 * o), w23 = load256(pairs.weightsB + 2 * o);
    const __m256i rg01 = _mm256_srai_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(v01, rgMask), w01), 4);
    const __m256i rg23 = _mm256_srai_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(v23, rgMask), w23), 4);
    const __m256i b01 = _mm256_srai_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(v01, bMask), w01), 4);
    const __m256i b23 = _mm256_srai_epi32(_mm256_madd_epi16(_mm256_shuffle_epi8(v23, bMask), w23), 4);
    // Lanes R0-3 G0-3 | R4-7 G4-7, reordered to R0-7 | G0-7; then B0-3 0 | B4-7 0 to B0-7.
    const __m256i rg = _mm256_permute4x64_epi64(
        _mm256_packs_epi32(_mm256_unpacklo_epi64(rg01, rg23), _mm256_unpackhi_epi64(rg01, rg23)), 0xD8);
    const __m256i bb = _mm256_permute4x64_epi64(
        _mm256_packs_epi32(_mm256_unpacklo_epi64(b01, b23), _mm256_setzero_si256()), 0x08);
    store128(r + o, _mm256_castsi256_si128(rg));
    store128(g + o, _mm256_extracti128_si256(rg, 1));
    store128(b + o, _mm256_castsi256_si128(bb));
  }
  if (o + 4 <= pairs.loadable) {
    pairStep4(row, pairs, pairMasks(C), o, r, g, b);
    o += 4;
  }
  resizeTapsScalar<C>(row, pairs.taps, o, geometry.dstWidth, r, g, b);
}

RETINAFACE_TARGET("avx2")
void horizontalAvx2(const RowGeometry& geometry, const uint8_t* row, ChannelPlanes& planes, ResizedRow& out) {
  if (geometry.method == Method::Pairs)
    return geometry.channels == 4 ? pairResizeAvx2<4>(geometry, row, out) : pairResizeAvx2<3>(geometry, row, out);
  splitChannelsAvx2(row, geometry.channels, geometry.srcWidth, planes);
  uint8_t* in[3] = {planes.plane(0), planes.channel(1), planes.channel(2)};
  int16_t* outs[3] = {out.plane(0), out.plane(1), out.plane(2)};
  if (planes.count() == 1)
    shuffleResizeAvx2<1>(BlockTables(geometry.blocks), in, outs);
  else
    shuffleResizeAvx2<3>(BlockTables(geometry.blocks), in, outs);
}

RETINAFACE_TARGET("avx2")
void blendToFloatAvx2(const int16_t* top, const int16_t* bottom, int16_t w0, int16_t w1, size_t n, float mean,
                      float* out) {
  const __m256i vw0 = _mm256_set1_epi16(w0), vw1 = _mm256_set1_epi16(w1);
  const __m256i two = _mm256_set1_epi16(2), zero = _mm256_setzero_si256(), max = _mm256_set1_epi16(255);
  const __m256 vmean = _mm256_set1_ps(mean);
  size_t x = 0;
  for (; x + 16 <= n; x += 16) {
    const __m256i sum = _mm256_add_epi16(_mm256_mulhi_epi16(vw0, load256(top + x)),
                                         _mm256_mulhi_epi16(vw1, load256(bottom + x)));
    const __m256i v = _mm256_min_epi16(_mm256_max_epi16(_mm256_srai_epi16(_mm256_add_epi16(sum, two), 2), zero), max);
    const __m256i lo = _mm256_cvtepi16_epi32(_mm256_castsi256_si128(v));
    const __m256i hi = _mm256_cvtepi16_epi32(_mm256_extracti128_si256(v, 1));
    _mm256_storeu_ps(out + x, _mm256_sub_ps(_mm256_cvtepi32_ps(lo), vmean));
    _mm256_storeu_ps(out + x + 8, _mm256_sub_ps(_mm256_cvtepi32_ps(hi), vmean));
  }
  blendToFloatPortable(top + x, bottom + x, w0, w1, n - x, mean, out + x);
}

RETINAFACE_TARGET("avx2") void toFloatAvx2(const uint8_t* src, size_t n, float mean, float* out) {
  const __m256 vmean = _mm256_set1_ps(mean);
  size_t x = 0;
  for (; x + 16 <= n; x += 16) {
    const __m128i bytes = load128(src + x);
    _mm256_storeu_ps(out + x, _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(bytes)), vmean));
    _mm256_storeu_ps(out + x + 8,
                     _mm256_sub_ps(_mm256_cvtepi32_ps(_mm256_cvtepu8_epi32(_mm_srli_si128(bytes, 8))), vmean));
  }
  toFloatPortable(src + x, n - x, mean, out + x);
}

#endif  // RETINAFACE_X86_TIERS

// ---- Dispatch ---------------------------------------------------------------------------------------------------

// The row kernels of one tier.
struct Kernels {
  bool shuffles;  // horizontal takes Method::Blocks or Method::Pairs geometry (else Method::Taps)
  // Horizontal pass: one source row -> int16 planes of `out` (see resizeRow).
  void (*horizontal)(const RowGeometry&, const uint8_t* row, ChannelPlanes& scratch, ResizedRow& out);
  // Vertical blend of one channel fused with the float conversion and mean subtraction.
  void (*blendToFloat)(const int16_t* top, const int16_t* bottom, int16_t w0, int16_t w1, size_t n, float mean,
                       float* out);
  // The unresized path: split a row into channel planes, then each plane to floats minus the mean.
  void (*splitChannels)(const uint8_t* row, int channels, int width, ChannelPlanes& planes);
  void (*toFloat)(const uint8_t* src, size_t n, float mean, float* out);
};

constexpr Kernels kPortable{false, horizontalPortable, blendToFloatPortable, splitChannelsPortable, toFloatPortable};
#if RETINAFACE_X86_TIERS
constexpr Kernels kSsse3{true, horizontalSsse3, blendToFloatSsse3, splitChannelsSsse3, toFloatSsse3};
constexpr Kernels kAvx2{true, horizontalAvx2, blendToFloatAvx2, splitChannelsAvx2, toFloatAvx2};
#endif

Tier bestTier() {
#if RETINAFACE_X86_TIERS
  __builtin_cpu_init();
  if (__builtin_cpu_supports("avx2")) return Tier::Avx2;
  if (__builtin_cpu_supports("ssse3")) return Tier::Ssse3;
#endif
  return Tier::Portable;
}

Tier detectedTier() {
  static const Tier tier = bestTier();
  return tier;
}

constexpr int kNoForcedTier = -1;
std::atomic<int> forcedTier{kNoForcedTier};

const Kernels& kernelsFor(Tier tier) {
  switch (tier) {
#if RETINAFACE_X86_TIERS
    case Tier::Avx2: return kAvx2;
    case Tier::Ssse3: return kSsse3;
#endif
    default: return kPortable;
  }
}

// ---- Driver -----------------------------------------------------------------------------------------------------

RowGeometry makeRowGeometry(const PixelView& image, int dstWidth, const Kernels& kernels) {
  RowGeometry geometry;
  geometry.srcWidth = image.width;
  geometry.channels = image.channels;
  geometry.dstWidth = static_cast<size_t>(dstWidth);
  const std::vector<Tap> taps = makeTaps(image.width, dstWidth);
  // Pairs beat blocks once rows shrink 2x or more (measured: about even at 2x, 1.2x faster at 2.5x, 1.7x at 6x);
  // below that, blocks hold a full 8 outputs and splitting the row touches few unused pixels.
  if (!kernels.shuffles)
    geometry.method = Method::Taps;
  else if (image.channels >= 3 && image.width >= 2 * dstWidth)
    geometry.method = Method::Pairs;
  else
    geometry.method = Method::Blocks;
  if (geometry.method == Method::Blocks) {
    geometry.blocks = makeShuffleBlocks(taps, image.width);
  } else {
    geometry.taps = rowTaps(taps, image.width, image.channels);
    if (geometry.method == Method::Pairs) geometry.pairs = makePairWeights(geometry.taps, image.width * image.channels);
  }
  return geometry;
}

// What the vertical pass of one destination row blends: two horizontally resized source rows and their weights.
struct BlendInput {
  ResizedRow& top;
  ResizedRow& bottom;
  int16_t w0, w1;
};

// Runs the horizontal pass on the source rows each destination row needs and calls sinkRow(dy, BlendInput).
template <typename SinkRow>
void forEachResizedRow(const PixelView& image, int dstWidth, int dstHeight, const Kernels& kernels, SinkRow sinkRow) {
  const RowGeometry geometry = makeRowGeometry(image, dstWidth, kernels);
  const std::vector<Tap> yTaps = makeTaps(image.height, dstHeight);
  ChannelPlanes scratch(geometry.method == Method::Blocks ? image.width : 0, image.channels);
  ResizedRow top(geometry.dstWidth, image.channels), bottom(geometry.dstWidth, image.channels);
  int topRow = -1, bottomRow = -1;
  const int lastRow = image.height - 1;
  auto pass = [&](int y, ResizedRow& out) {
    kernels.horizontal(geometry, image.data + static_cast<size_t>(y) * image.rowStride, scratch, out);
  };
  for (int dy = 0; dy < dstHeight; ++dy) {
    const Tap& t = yTaps[dy];
    const int sy0 = t.index, sy1 = t.index < lastRow ? t.index + 1 : lastRow;
    // Consecutive destination rows mostly share source rows: reuse the horizontal passes already done.
    if (sy0 == bottomRow) {
      std::swap(top, bottom);
      std::swap(topRow, bottomRow);
    }
    if (sy0 != topRow) {
      pass(sy0, top);
      topRow = sy0;
    }
    if (sy1 != bottomRow) {
      pass(sy1, bottom);
      bottomRow = sy1;
    }
    sinkRow(dy, BlendInput{top, bottom, t.w0, t.w1});
  }
}

void validate(const PixelView& image) {
  if (!image.data || image.width <= 0 || image.height <= 0)
    throw std::invalid_argument("image has no pixels");
  if (image.channels != 1 && image.channels != 3 && image.channels != 4)
    throw std::invalid_argument("image must have 1, 3 or 4 channels");
  if (image.rowStride < image.width * image.channels)
    throw std::invalid_argument("row stride is smaller than width * channels");
}

}  // namespace

namespace preprocess_detail {

const char* tierName(Tier tier) {
  switch (tier) {
    case Tier::Portable: return "portable";
    case Tier::Ssse3: return "ssse3";
    case Tier::Avx2: return "avx2";
  }
  return "?";
}

bool tierSupported(Tier tier) {
  switch (tier) {
    case Tier::Portable: return true;
    case Tier::Ssse3: return detectedTier() == Tier::Ssse3 || detectedTier() == Tier::Avx2;
    case Tier::Avx2: return detectedTier() == Tier::Avx2;
  }
  return false;
}

Tier activeTier() {
  const int forced = forcedTier.load(std::memory_order_relaxed);
  return forced == kNoForcedTier ? detectedTier() : static_cast<Tier>(forced);
}

void forceTier(Tier tier) {
  if (!tierSupported(tier))
    throw std::invalid_argument(std::string("preprocess tier not supported here: ") + tierName(tier));
  forcedTier.store(static_cast<int>(tier), std::memory_order_relaxed);
}

void resetTier() { forcedTier.store(kNoForcedTier, std::memory_order_relaxed); }

}  // namespace preprocess_detail

void resizeBilinearRgb(const PixelView& image, int dstWidth, int dstHeight, uint8_t* dstRgb) {
  validate(image);
  if (dstWidth <= 0 || dstHeight <= 0) throw std::invalid_argument("resize target must be positive");
  const size_t width = static_cast<size_t>(dstWidth);
  if (dstWidth == image.width && dstHeight == image.height) {
    for (int y = 0; y < dstHeight; ++y) {
      const uint8_t* src = image.data + static_cast<size_t>(y) * image.rowStride;
      uint8_t* row = dstRgb + static_cast<size_t>(y) * width * 3;
      for (size_t x = 0; x < width; ++x)
        for (int c = 0; c < 3; ++c) row[3 * x + c] = src[x * image.channels + (image.channels == 1 ? 0 : c)];
    }
    return;
  }
  // The tier's horizontal pass, then the portable vertical one: this output serves tests, not the detector.
  const Kernels& kernels = kernelsFor(preprocess_detail::activeTier());
  forEachResizedRow(image, dstWidth, dstHeight, kernels, [&](int y, const BlendInput& in) {
    uint8_t* row = dstRgb + static_cast<size_t>(y) * width * 3;
    for (int c = 0; c < 3; ++c)
      blendRows(in.top.plane(c), in.bottom.plane(c), in.w0, in.w1, width,
                [&](size_t x, int v) { row[3 * x + c] = static_cast<uint8_t>(v); });
  });
}

void letterboxToTensor(const PixelView& image, const Letterbox& letterbox, float* dst) {
  validate(image);
  if (image.width != letterbox.sourceWidth || image.height != letterbox.sourceHeight)
    throw std::invalid_argument("letterbox was computed for another image size");
  if (letterbox.resizedWidth > letterbox.inputWidth || letterbox.resizedHeight > letterbox.inputHeight ||
      letterbox.resizedWidth <= 0 || letterbox.resizedHeight <= 0)
    throw std::invalid_argument("resized image does not fit the network input");
  const Kernels& kernels = kernelsFor(preprocess_detail::activeTier());
  const size_t inW = static_cast<size_t>(letterbox.inputWidth);
  const size_t plane = inW * letterbox.inputHeight;
  const size_t resizedW = static_cast<size_t>(letterbox.resizedWidth);
  float* planes[3] = {dst, dst + plane, dst + 2 * plane};  // B, G, R
  // Padding is the mean colour, i.e. exactly 0 after mean subtraction (all-zero bits).
  auto padRight = [&](float* row) { std::memset(row + resizedW, 0, (inW - resizedW) * sizeof(float)); };
  // c: R, G, B; the tensor's planes are B, G, R.
  auto outputRow = [&](int c, int y) { return planes[2 - c] + static_cast<size_t>(y) * inW; };

  if (letterbox.resizedWidth == image.width && letterbox.resizedHeight == image.height) {
    ChannelPlanes split(image.width, image.channels);
    for (int y = 0; y < letterbox.resizedHeight; ++y) {
      kernels.splitChannels(image.data + static_cast<size_t>(y) * image.rowStride, image.channels, image.width, split);
      for (int c = 0; c < 3; ++c) {
        float* row = outputRow(c, y);
        kernels.toFloat(split.channel(c), resizedW, kMeanBgr[2 - c], row);
        padRight(row);
      }
    }
  } else {
    forEachResizedRow(image, letterbox.resizedWidth, letterbox.resizedHeight, kernels,
                      [&](int y, const BlendInput& in) {
                        for (int c = 0; c < 3; ++c) {
                          float* row = outputRow(c, y);
                          kernels.blendToFloat(in.top.plane(c), in.bottom.plane(c), in.w0, in.w1, resizedW,
                                               kMeanBgr[2 - c], row);
                          padRight(row);
                        }
                      });
  }
  // Padding below the image.
  const size_t filled = static_cast<size_t>(letterbox.resizedHeight) * inW;
  for (float* p : planes) std::memset(p + filled, 0, (plane - filled) * sizeof(float));
}

}  // namespace retinaface
