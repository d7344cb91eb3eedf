// The SSSE3 and AVX2 tiers: pshufb-based horizontal passes (shuffle blocks or pixel pairs, see preprocess_rows.h)
// and a vertical blend fused with the float conversion, in 128-bit and 256-bit vectors. Each function carries its
// own target attribute and preprocess.cc picks a tier at run time, so this file builds with generic x86-64 flags.
// Compiles to nothing off x86 (and with compilers other than GCC and Clang): the portable tier is all there is.
#include "preprocess_rows.h"

#if RETINAFACE_X86_TIERS
#include <immintrin.h>

#define RETINAFACE_TARGET(isa) __attribute__((target(isa)))

namespace retinaface::preprocess_detail {

namespace {

// ---- SSSE3 tier -------------------------------------------------------------------------------------------------

RETINAFACE_TARGET("ssse3") inline __m128i load128(const void* p) {
  return _mm_loadu_si128(static_cast<const __m128i*>(p));
}
RETINAFACE_TARGET("ssse3") inline void store128(void* p, __m128i v) { _mm_storeu_si128(static_cast<__m128i*>(p), v); }

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
  if (planes.count() == 1) shuffleResizeSsse3<1>(BlockTables(geometry.blocks), in, outs);
  else shuffleResizeSsse3<3>(BlockTables(geometry.blocks), in, outs);
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
      const __m256i sums = shuffleBlockPair(planes[c], start0, start1, lowMasks, highMasks, lowWeights, highWeights);
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
  if (planes.count() == 1) shuffleResizeAvx2<1>(BlockTables(geometry.blocks), in, outs);
  else shuffleResizeAvx2<3>(BlockTables(geometry.blocks), in, outs);
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

}  // namespace

const Kernels kSsse3Kernels{true, horizontalSsse3, blendToFloatSsse3, splitChannelsSsse3, toFloatSsse3};
const Kernels kAvx2Kernels{true, horizontalAvx2, blendToFloatAvx2, splitChannelsAvx2, toFloatAvx2};

}  // namespace retinaface::preprocess_detail

#endif  // RETINAFACE_X86_TIERS
