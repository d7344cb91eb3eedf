// GPU aligned crops == CPU aligned crops (warpAffineRgb), bit for bit: random images (gray / RGB / RGBA, padded
// rows), random similarities inside, across and outside the images, several crop sizes; outputs poisoned first.
#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <vector>

#include "core/affine_warp.h"
#include "cuda/affine_warp_kernel.h"
#include "cuda_test_support.h"
#include "harness.h"

using namespace retinaface;
using namespace retinaface::cuda;

namespace {

struct HostImage {
  std::vector<uint8_t> pixels;
  PixelView view;
};

HostImage randomImage(std::mt19937& rng) {
  HostImage image;
  const int width = 1 + static_cast<int>(rng() % 700), height = 1 + static_cast<int>(rng() % 700);
  const int channels = std::vector<int>{1, 3, 4}[rng() % 3];
  const int stride = width * channels + static_cast<int>(rng() % 9);
  image.pixels.resize(static_cast<size_t>(stride) * height);
  for (uint8_t& p : image.pixels) p = static_cast<uint8_t>(rng());
  image.view = PixelView{nullptr, width, height, channels, stride};
  return image;
}

// A similarity placing a face of random size, angle and position (sometimes off the image) into the crop.
AffineMatrix randomSimilarity(std::mt19937& rng, const PixelView& view, int size) {
  std::uniform_real_distribution<double> unit(0.0, 1.0);
  const double scale = size / (8.0 + unit(rng) * 400.0);
  const double angle = (unit(rng) - 0.5) * 3.0;
  const double cx = (unit(rng) * 1.4 - 0.2) * view.width, cy = (unit(rng) * 1.4 - 0.2) * view.height;
  const double a = scale * std::cos(angle), b = scale * std::sin(angle);
  return AffineMatrix{{a, b, size / 2.0 - (a * cx + b * cy), -b, a, size / 2.0 - (-b * cx + a * cy)}};
}

void checkCrops(std::mt19937& rng, int imageCount, int cropCount, int size) {
  cudatest::Stream stream;
  std::vector<HostImage> images;
  std::vector<uint8_t> packed;
  std::vector<ImageGeometry> geometry;
  for (int i = 0; i < imageCount; ++i) {
    images.push_back(randomImage(rng));
    ImageGeometry g{};
    g.pixelOffset = packed.size();
    g.width = images.back().view.width;
    g.height = images.back().view.height;
    g.channels = images.back().view.channels;
    g.rowStride = images.back().view.rowStride;
    packed.insert(packed.end(), images.back().pixels.begin(), images.back().pixels.end());
    geometry.push_back(g);
  }
  std::vector<WarpCrop> crops;
  for (int c = 0; c < cropCount; ++c) {
    const int image = static_cast<int>(rng() % imageCount);
    crops.push_back(makeWarpCrop(image, invertAffine(randomSimilarity(rng, images[image].view, size))));
  }
  const auto deviceImages = cudatest::toDevice(packed, stream.get());
  const auto deviceGeometry = cudatest::toDevice(geometry, stream.get());
  const auto deviceCrops = cudatest::toDevice(crops, stream.get());
  const size_t perCrop = static_cast<size_t>(size) * size * 3;
  DeviceBuffer<uint8_t> output(perCrop * cropCount, stream.get());
  cudatest::poison(output.get(), output.bytes(), stream.get());
  enqueueAffineWarps(deviceImages.get(), deviceGeometry.get(), deviceCrops.get(), cropCount, size, output.get(),
                     stream.get());
  const std::vector<uint8_t> gpu = cudatest::toHost(output.get(), perCrop * cropCount, stream.get());

  std::vector<uint8_t> cpu(perCrop);
  for (int c = 0; c < cropCount; ++c) {
    HostImage& source = images[crops[c].image];
    PixelView view = source.view;
    view.data = source.pixels.data();
    AffineMatrix inverse;
    std::memcpy(inverse.m, crops[c].inverse, sizeof(inverse.m));
    warpAffineRgb(view, inverse, size, size, cpu.data());
    size_t diffs = 0;
    for (size_t k = 0; k < perCrop; ++k) diffs += gpu[c * perCrop + k] != cpu[k];
    if (diffs) {
      std::ostringstream os;
      os << "crop " << c << " (" << size << "px from a " << view.width << "x" << view.height << "x" << view.channels
         << " image): " << diffs << " bytes differ";
      harness::fail(__FILE__, __LINE__, os.str());
    }
  }
}

}  // namespace

TEST(gpu_affine_warp_matches_cpu_112) {
  std::mt19937 rng(21);
  for (int round = 0; round < 6; ++round)
    checkCrops(rng, 1 + static_cast<int>(rng() % 4), 1 + static_cast<int>(rng() % 40), 112);
}

TEST(gpu_affine_warp_matches_cpu_other_sizes) {
  std::mt19937 rng(22);
  for (int size : {16, 57, 128, 224, 513}) checkCrops(rng, 3, 9, size);
}

TEST(affine_warp_kernel_rejects_bad_counts_and_sizes) {
  // Checked before anything touches the device.
  CHECK_THROWS(enqueueAffineWarps(nullptr, nullptr, nullptr, 0, 112, nullptr, nullptr));
  CHECK_THROWS(enqueueAffineWarps(nullptr, nullptr, nullptr, 1, 0, nullptr, nullptr));
  CHECK_THROWS(enqueueAffineWarps(nullptr, nullptr, nullptr, 70000, 112, nullptr, nullptr));
}
