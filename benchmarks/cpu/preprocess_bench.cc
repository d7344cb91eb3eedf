// Times retinaface::letterboxToTensor (uint8 RGB -> 640x640 float planes) per instruction-set tier, single thread:
// first with one image and one output that stay in cache, then from memory (64 distinct 1024x768 sources and 3
// outputs in turn, as in a server or the detector benchmark, where each image is letterboxed once).
// Usage: retinaface_preprocess_bench [milliseconds per image size, default 1500]
#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <string>
#include <vector>

#include "core/preprocess.h"
#include "core/preprocess_dispatch.h"

using namespace retinaface;
namespace pd = retinaface::preprocess_detail;

namespace {

// Deterministic noise with some smooth structure, so no tier benefits from constant input.
std::vector<uint8_t> syntheticImage(int width, int height, int channels) {
  std::vector<uint8_t> img(static_cast<size_t>(width) * height * channels);
  uint32_t seed = 0x9e3779b9u;
  for (int y = 0; y < height; ++y)
    for (int x = 0; x < width; ++x)
      for (int c = 0; c < channels; ++c) {
        seed = seed * 1664525u + 1013904223u;
        const size_t i = (static_cast<size_t>(y) * width + x) * channels + c;
        img[i] = static_cast<uint8_t>(((x + 2 * y + 85 * c) & 255) / 2 + (seed >> 26));
      }
  return img;
}

using Clock = std::chrono::steady_clock;

// Milliseconds per call, averaged over `calls` back-to-back calls.
double msPerCall(const PixelView& view, const Letterbox& lb, float* dst, int calls) {
  const auto t0 = Clock::now();
  for (int i = 0; i < calls; ++i) letterboxToTensor(view, lb, dst);
  return std::chrono::duration<double, std::milli>(Clock::now() - t0).count() / calls;
}

double median(std::vector<double> v) {
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const double budgetMs = argc > 1 ? std::atof(argv[1]) : 1500.0;  // per image size, all tiers together
  const int sizes[][2] = {{1024, 768}, {1024, 576}, {1280, 720}, {1920, 1080}, {4000, 3000}};
  std::vector<pd::Tier> tiers;
  for (pd::Tier t : {pd::Tier::Portable, pd::Tier::Ssse3, pd::Tier::Avx2})
    if (pd::tierSupported(t)) tiers.push_back(t);
  constexpr int kCanvas = 640;
  std::vector<float> dst(3 * kCanvas * kCanvas);

  std::printf("letterboxToTensor, RGB -> %dx%d canvas, single thread, median ms per image over interleaved rounds\n",
              kCanvas, kCanvas);
  std::printf("default tier here: %s\n\n%-10s", pd::tierName(pd::activeTier()), "image");
  for (pd::Tier t : tiers) std::printf(" %9s", pd::tierName(t));
  for (size_t i = 1; i < tiers.size(); ++i) std::printf(" %9s", (std::string("x ") + pd::tierName(tiers[i])).c_str());
  std::printf("\n");
  for (const auto& size : sizes) {
    const std::vector<uint8_t> img = syntheticImage(size[0], size[1], 3);
    const PixelView view{img.data(), size[0], size[1], 3, size[0] * 3};
    const Letterbox lb = computeLetterbox(size[0], size[1], kCanvas, kCanvas);
    // Rounds alternate the tiers, so that a slow spell of a shared machine hits them all alike.
    pd::forceTier(pd::Tier::Portable);
    const double estimate = msPerCall(view, lb, dst.data(), 3);
    const int calls = std::max(1, static_cast<int>(20.0 / estimate));  // about 20 ms per portable batch
    const int rounds = std::max(5, static_cast<int>(budgetMs / (estimate * calls * tiers.size())));
    std::vector<std::vector<double>> times(tiers.size());
    for (int r = 0; r < rounds; ++r)
      for (size_t i = 0; i < tiers.size(); ++i) {
        pd::forceTier(tiers[i]);
        times[i].push_back(msPerCall(view, lb, dst.data(), calls));
      }
    pd::resetTier();
    std::vector<double> medians;
    for (const auto& t : times) medians.push_back(median(t));
    std::printf("%4dx%-5d", size[0], size[1]);
    for (double m : medians) std::printf(" %9.3f", m);
    for (size_t i = 1; i < medians.size(); ++i) std::printf(" %8.2fx", medians[0] / medians[i]);
    std::printf("\n");
    std::fflush(stdout);
  }

  // From memory: calls alternate between the tiers one by one, so a slow spell of a shared machine hits them alike.
  constexpr int kSources = 64, kOutputs = 3, kCallsPerTier = 600;
  std::vector<std::vector<uint8_t>> sources;
  for (int k = 0; k < kSources; ++k) sources.push_back(syntheticImage(1024 + k % 2, 768, 3));  // distinct buffers
  std::vector<std::vector<float>> outputs(kOutputs, std::vector<float>(dst.size()));
  std::vector<std::vector<double>> times(tiers.size());
  for (int call = 0; call < kCallsPerTier * static_cast<int>(tiers.size()); ++call) {
    const size_t t = call % tiers.size();
    const std::vector<uint8_t>& img = sources[(call / tiers.size() * 7) % kSources];
    const int width = static_cast<int>(img.size() / (768 * 3));
    const PixelView view{img.data(), width, 768, 3, width * 3};
    pd::forceTier(tiers[t]);
    times[t].push_back(
        msPerCall(view, computeLetterbox(width, 768, kCanvas, kCanvas), outputs[call % kOutputs].data(), 1));
  }
  pd::resetTier();
  std::printf("\nfrom memory (%d sources of 1024x768, %d outputs, median ms per call):\n%-10s", kSources, kOutputs, "");
  for (pd::Tier t : tiers) std::printf(" %9s", pd::tierName(t));
  std::printf("\n%-10s", "1024x768");
  for (const auto& t : times) std::printf(" %9.3f", median(t));
  std::printf("\n");
  return 0;
}
