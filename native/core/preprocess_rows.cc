// Building the per-image tables the row kernels read: OpenCV's resize taps and their arrangements per method.
#include <cstring>

#include "preprocess_rows.h"

namespace retinaface::preprocess_detail {

std::vector<Tap> makeTaps(int srcSize, int dstSize) {
  std::vector<Tap> taps(static_cast<size_t>(dstSize));
  for (int d = 0; d < dstSize; ++d) taps[static_cast<size_t>(d)] = resizeTap(srcSize, dstSize, d);
  return taps;
}

namespace {

std::vector<RowTap> rowTaps(const std::vector<Tap>& taps, int srcWidth, int channels) {
  std::vector<RowTap> out(taps.size());
  for (size_t i = 0; i < taps.size(); ++i) {
    const int next = taps[i].index < srcWidth - 1 ? taps[i].index + 1 : srcWidth - 1;
    out[i] = {taps[i].index * channels, next * channels, taps[i].w0, taps[i].w1};
  }
  return out;
}

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

}  // namespace

RowGeometry makeRowGeometry(const PixelView& image, int dstWidth, const Kernels& kernels) {
  RowGeometry geometry;
  geometry.srcWidth = image.width;
  geometry.channels = image.channels;
  geometry.dstWidth = static_cast<size_t>(dstWidth);
  const std::vector<Tap> taps = makeTaps(image.width, dstWidth);
  // Pairs beat blocks once rows shrink 2x or more (measured: about even at 2x, 1.2x faster at 2.5x, 1.7x at 6x);
  // below that, blocks hold a full 8 outputs and splitting the row touches few unused pixels.
  if (!kernels.shuffles) geometry.method = Method::Taps;
  else if (image.channels >= 3 && image.width >= 2 * dstWidth) geometry.method = Method::Pairs;
  else geometry.method = Method::Blocks;
  if (geometry.method == Method::Blocks) {
    geometry.blocks = makeShuffleBlocks(taps, image.width);
  } else {
    geometry.taps = rowTaps(taps, image.width, image.channels);
    if (geometry.method == Method::Pairs) geometry.pairs = makePairWeights(geometry.taps, image.width * image.channels);
  }
  return geometry;
}

}  // namespace retinaface::preprocess_detail
