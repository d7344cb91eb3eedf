// GPU preprocessing == CPU preprocessing (letterboxToTensor), bit for bit, on random images of random sizes and
// channel layouts, uploaded through the pinned pool as the addon will do it; FP32 and FP16; outputs poisoned first.
#include <cuda_fp16.h>

#include <cstdint>
#include <cstring>
#include <random>
#include <sstream>
#include <vector>

#include "core/preprocess.h"
#include "cuda/batch_upload.h"
#include "cuda/letterbox_preprocess.h"
#include "cuda/pinned_pool.h"
#include "cuda_test_support.h"
#include "harness.h"

using namespace retinaface;
using namespace retinaface::cuda;

namespace {

struct RandomImage {
  std::vector<uint8_t> pixels;
  PixelView view;
  Letterbox letterbox;
};

// Random size (some tiny, some larger than the canvas, some exactly the canvas), channels 1/3/4, padded rows.
RandomImage randomImage(std::mt19937& rng, int canvasWidth, int canvasHeight) {
  RandomImage image;
  const int kind = static_cast<int>(rng() % 5);
  int width = 1 + static_cast<int>(rng() % 900), height = 1 + static_cast<int>(rng() % 900);
  if (kind == 0) {  // identity: no resize
    width = canvasWidth;
    height = canvasHeight;
  } else if (kind == 1) {  // tiny: large upscale
    width = 1 + static_cast<int>(rng() % 8);
    height = 1 + static_cast<int>(rng() % 8);
  }
  const int channels = std::vector<int>{1, 3, 4}[rng() % 3];
  const int stride = width * channels + static_cast<int>(rng() % 9);
  image.pixels.resize(static_cast<size_t>(stride) * height);
  for (uint8_t& p : image.pixels) p = static_cast<uint8_t>(rng());
  image.view = PixelView{image.pixels.data(), width, height, channels, stride};
  image.letterbox = computeLetterbox(width, height, canvasWidth, canvasHeight);
  return image;
}

std::string describe(const RandomImage& image) {
  std::ostringstream os;
  os << image.view.width << "x" << image.view.height << "x" << image.view.channels << " -> "
     << image.letterbox.resizedWidth << "x" << image.letterbox.resizedHeight << " in " << image.letterbox.inputWidth
     << "x" << image.letterbox.inputHeight;
  return os.str();
}

void checkBatch(std::mt19937& rng, int count, int canvasWidth, int canvasHeight) {
  cudatest::Stream stream;
  std::vector<RandomImage> images;
  for (int i = 0; i < count; ++i) images.push_back(randomImage(rng, canvasWidth, canvasHeight));
  std::vector<PixelView> views;
  std::vector<Letterbox> lbs;
  for (const RandomImage& image : images) {
    views.push_back(image.view);
    lbs.push_back(image.letterbox);
  }
  const size_t uploadBytes = planBatch(views, lbs).totalBytes;
  PinnedPool pool(1, uploadBytes);
  DeviceBuffer<uint8_t> upload(uploadBytes, stream.get());
  DeviceBatch batch;
  {
    PinnedPool::Lease lease = pool.acquire(stream.get());
    batch = uploadBatch(lease, views, lbs, upload.get(), upload.size());
  }

  const size_t plane = static_cast<size_t>(canvasWidth) * canvasHeight;
  const size_t elements = static_cast<size_t>(count) * 3 * plane;
  GpuPreprocessor preprocessor(count, canvasWidth, canvasHeight, stream.get());
  DeviceBuffer<float> outFloat(elements, stream.get());
  DeviceBuffer<__half> outHalf(elements, stream.get());
  cudatest::poison(outFloat.get(), outFloat.bytes(), stream.get());
  cudatest::poison(outHalf.get(), outHalf.bytes(), stream.get());
  preprocessor.enqueue(batch.base, batch.geometry, count, canvasWidth, canvasHeight, TensorFormat::Float32,
                       outFloat.get(), stream.get());
  preprocessor.enqueue(batch.base, batch.geometry, count, canvasWidth, canvasHeight, TensorFormat::Float16,
                       outHalf.get(), stream.get());
  const std::vector<float> gpuFloat = cudatest::toHost(outFloat.get(), elements, stream.get());
  const std::vector<__half> gpuHalf = cudatest::toHost(outHalf.get(), elements, stream.get());

  std::vector<float> cpu(3 * plane);
  for (int i = 0; i < count; ++i) {
    letterboxToTensor(images[static_cast<size_t>(i)].view, images[static_cast<size_t>(i)].letterbox, cpu.data());
    const float* gpu = gpuFloat.data() + static_cast<size_t>(i) * 3 * plane;
    const __half* half = gpuHalf.data() + static_cast<size_t>(i) * 3 * plane;
    size_t floatDiffs = 0, halfDiffs = 0, first = 3 * plane;
    for (size_t k = 0; k < 3 * plane; ++k) {
      // Bitwise: NaN poison or a signed zero would not pass either.
      if (std::memcmp(&gpu[k], &cpu[k], sizeof(float)) != 0) {
        ++floatDiffs;
        if (first == 3 * plane) first = k;
      }
      if (__half2float(half[k]) != cpu[k]) ++halfDiffs;
    }
    if (floatDiffs || halfDiffs) {
      std::ostringstream os;
      os << "image " << i << " (" << describe(images[static_cast<size_t>(i)]) << "): " << floatDiffs << " FP32 and "
         << halfDiffs << " FP16 values differ";
      if (first < 3 * plane) os << "; first at " << first << ": gpu " << gpu[first] << " cpu " << cpu[first];
      harness::fail(__FILE__, __LINE__, os.str());
    }
  }
}

}  // namespace

TEST(gpu_preprocess_matches_cpu_batch_1) {
  std::mt19937 rng(11);
  for (int round = 0; round < 8; ++round)
    checkBatch(rng, 1, 16 + static_cast<int>(rng() % 700), 16 + static_cast<int>(rng() % 700));
}

TEST(gpu_preprocess_matches_cpu_batch_7) {
  std::mt19937 rng(12);
  for (int round = 0; round < 4; ++round)
    checkBatch(rng, 7, 16 + static_cast<int>(rng() % 700), 16 + static_cast<int>(rng() % 700));
}

TEST(gpu_preprocess_matches_cpu_batch_64_at_640) {
  std::mt19937 rng(13);
  checkBatch(rng, 64, 640, 640);
}

TEST(gpu_preprocess_rejects_batches_beyond_its_workspace) {
  cudatest::Stream stream;
  GpuPreprocessor preprocessor(2, 64, 64, stream.get());
  CHECK_THROWS(preprocessor.enqueue(nullptr, nullptr, 3, 64, 64, TensorFormat::Float32, nullptr, stream.get()));
  CHECK_THROWS(preprocessor.enqueue(nullptr, nullptr, 1, 65, 64, TensorFormat::Float32, nullptr, stream.get()));
}
