// GPU decode + sort + NMS + clip == CPU postprocessImage, on the reference's real model outputs and on random
// outputs at batch 1, 7 and 64; also the device priors against makePriors.
#include <algorithm>
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/decode.h"
#include "core/nms.h"
#include "core/postprocess.h"
#include "core/priors.h"
#include "cuda/device_priors.h"
#include "cuda/gpu_postprocess.h"
#include "cuda_test_support.h"
#include "harness.h"

using namespace retinaface;
using namespace retinaface::cuda;

namespace {

constexpr double kCoordinateTolerance = 1e-3;

// Raw outputs of a batch on the host, batch-major like the network's.
struct HostBatch {
  int priors = 0;
  std::vector<float> loc, conf, landms;
  std::vector<Letterbox> letterboxes;
  RawOutputs image(int b) const {
    const size_t n = static_cast<size_t>(priors) * b;
    return {loc.data() + 4 * n, conf.data() + 2 * n, landms.data() + 10 * n};
  }
};

std::vector<std::vector<Face>> runGpu(GpuPostprocessor& postprocessor, const HostBatch& batch, int inputWidth,
                                      int inputHeight, const PostprocessOptions& options, cudaStream_t stream) {
  const int count = static_cast<int>(batch.letterboxes.size());
  std::vector<ImageGeometry> geometry;
  for (const Letterbox& lb : batch.letterboxes) geometry.push_back(makeImageGeometry(lb, 3, lb.sourceWidth * 3, 0));
  DeviceBuffer<float> loc = cudatest::toDevice(batch.loc, stream);
  DeviceBuffer<float> conf = cudatest::toDevice(batch.conf, stream);
  DeviceBuffer<float> landms = cudatest::toDevice(batch.landms, stream);
  DeviceBuffer<ImageGeometry> deviceGeometry = cudatest::toDevice(geometry, stream);
  const size_t records = static_cast<size_t>(count) * postprocessor.faceCapacity() * kFaceFloats;
  cudatest::poison(postprocessor.faces(), records * sizeof(float), stream);
  cudatest::poison(postprocessor.counts(), static_cast<size_t>(count) * sizeof(int), stream);
  postprocessor.enqueue({loc.get(), conf.get(), landms.get()}, deviceGeometry.get(), count, inputWidth, inputHeight,
                        options);
  const std::vector<int> counts = cudatest::toHost(postprocessor.counts(), static_cast<size_t>(count), stream);
  const std::vector<float> flat = cudatest::toHost(postprocessor.faces(), records, stream);
  std::vector<std::vector<Face>> faces(static_cast<size_t>(count));
  for (int b = 0; b < count; ++b) {
    const int n = counts[static_cast<size_t>(b)];
    if (n < 0 || n > postprocessor.faceCapacity()) {
      harness::fail(__FILE__, __LINE__, "image " + std::to_string(b) + ": count " + std::to_string(n));
      continue;
    }
    faces[static_cast<size_t>(b)].resize(static_cast<size_t>(n));
    std::memcpy(faces[static_cast<size_t>(b)].data(),
                flat.data() + static_cast<size_t>(b) * postprocessor.faceCapacity() * kFaceFloats,
                static_cast<size_t>(n) * sizeof(Face));
  }
  return faces;
}

double maxDifference(const Face& a, const Face& b) {
  const float* x = reinterpret_cast<const float*>(&a);
  const float* y = reinterpret_cast<const float*>(&b);
  double worst = 0;
  for (int k = 0; k < kFaceFloats; ++k) {
    const double d = std::fabs(static_cast<double>(x[k]) - y[k]);
    worst = std::isnan(d) ? INFINITY : std::max(worst, d);
  }
  return worst;
}

// Same faces in the same order, except that faces of equal score may come in any order among themselves.
// Returns the largest coordinate difference seen (also reports failures).
double compareFaces(const std::vector<Face>& cpu, const std::vector<Face>& gpu, const std::string& what) {
  if (cpu.size() != gpu.size()) {
    harness::fail(__FILE__, __LINE__,
                  what + ": " + std::to_string(gpu.size()) + " GPU faces vs " + std::to_string(cpu.size()) + " CPU");
    return INFINITY;
  }
  double worst = 0;
  for (size_t start = 0; start < cpu.size();) {
    size_t end = start + 1;
    while (end < cpu.size() && cpu[end].score == cpu[start].score) ++end;
    for (size_t i = start; i < end; ++i) {
      double best = INFINITY;
      for (size_t j = start; j < end; ++j) {
        if (gpu[j].score == cpu[i].score) best = std::min(best, maxDifference(cpu[i], gpu[j]));
      }
      worst = std::max(worst, best);
      if (!(best <= kCoordinateTolerance)) {
        std::ostringstream os;
        os << what << ": CPU face " << i << " (score " << cpu[i].score << ", box " << cpu[i].x1 << "," << cpu[i].y1
           << "," << cpu[i].x2 << "," << cpu[i].y2 << ") has no GPU twin within " << kCoordinateTolerance
           << " (GPU face " << i << ": score " << gpu[i].score << ", box " << gpu[i].x1 << "," << gpu[i].y1 << ","
           << gpu[i].x2 << "," << gpu[i].y2 << ")";
        harness::fail(__FILE__, __LINE__, os.str());
        return worst;
      }
    }
    start = end;
  }
  return worst;
}

double compareBatch(GpuPostprocessor& postprocessor, const HostBatch& batch, int inputWidth, int inputHeight,
                    const PostprocessOptions& options, cudaStream_t stream, const std::string& what,
                    size_t* totalFaces = nullptr) {
  const std::vector<std::vector<Face>> gpu = runGpu(postprocessor, batch, inputWidth, inputHeight, options, stream);
  const std::vector<Prior> priors = makePriors(inputWidth, inputHeight);
  double worst = 0;
  for (size_t b = 0; b < batch.letterboxes.size(); ++b) {
    const std::vector<Face> cpu = postprocessImage(batch.image(static_cast<int>(b)), priors, batch.letterboxes[b],
                                                   options);
    worst = std::max(worst, compareFaces(cpu, gpu[b], what + " image " + std::to_string(b)));
    if (totalFaces) *totalFaces += cpu.size();
  }
  return worst;
}

PostprocessOptions referenceOptions() {  // the reference implementation's settings (shared/data/SOURCES.md)
  PostprocessOptions o;
  o.scoreThreshold = 0.02f;
  o.nmsThreshold = 0.4f;
  o.preNmsTopK = 0;
  o.maxFaces = 0;
  o.clip = false;
  return o;
}

// The 5 photos of shared/data/reference/raw640 with their sizes from photos_lb640.json (letterbox to 640) and the
// number of faces the reference kept with referenceOptions().
struct ReferencePhoto {
  const char* name;
  int width, height;
  size_t referenceFaces;
};
constexpr ReferencePhoto kPhotos[] = {{"fr_two_people", 1126, 661, 41},
                                      {"rf_curve_test", 1024, 624, 140},
                                      {"dlib_voc_2008_002470", 500, 332, 11},
                                      {"fr_32bit", 626, 1200, 3},
                                      {"dlib_cars_noface", 928, 478, 46}};

HostBatch loadRaw640() {
  const std::string dir = cudatest::sharedDir() + "/data/reference/raw640/";
  HostBatch batch;
  batch.priors = priorCount(640, 640);
  for (const ReferencePhoto& photo : kPhotos) {
    const std::string base = dir + photo.name;
    for (auto [suffix, target] : {std::pair{".loc.f32", &batch.loc}, std::pair{".conf.f32", &batch.conf},
                                  std::pair{".landms.f32", &batch.landms}}) {
      const std::vector<float> values = cudatest::readFloats(base + suffix);
      target->insert(target->end(), values.begin(), values.end());
    }
    batch.letterboxes.push_back(computeLetterbox(photo.width, photo.height, 640, 640));
  }
  return batch;
}

// Random raw outputs: mostly background, a few percent of confident priors (so NMS has real clusters to resolve),
// scores quantised in some images so that many exact ties must be broken like the CPU's stable sort.
HostBatch randomBatch(std::mt19937& rng, int count, int inputWidth, int inputHeight) {
  HostBatch batch;
  batch.priors = priorCount(inputWidth, inputHeight);
  const size_t n = static_cast<size_t>(batch.priors) * count;
  batch.loc.resize(4 * n);
  batch.conf.resize(2 * n);
  batch.landms.resize(10 * n);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f), offset(-1.5f, 1.5f), size(-2.5f, 2.5f), mark(-4.f, 4.f);
  for (int b = 0; b < count; ++b) {
    const bool ties = rng() % 2 == 0;
    const float faceRate = (b % 5 == 3) ? 0.0f : 0.03f * unit(rng);  // some images have no face at all
    for (size_t i = static_cast<size_t>(b) * batch.priors; i < static_cast<size_t>(b + 1) * batch.priors; ++i) {
      float score = unit(rng) < faceRate ? 0.3f + 0.7f * unit(rng) : 0.1f * unit(rng);
      if (ties) score = std::round(score * 32) / 32;
      batch.conf[2 * i] = 1 - score;
      batch.conf[2 * i + 1] = score;
      batch.loc[4 * i] = offset(rng);
      batch.loc[4 * i + 1] = offset(rng);
      batch.loc[4 * i + 2] = size(rng);
      batch.loc[4 * i + 3] = size(rng);
      for (int k = 0; k < 10; ++k) batch.landms[10 * i + k] = mark(rng);
    }
    const int sourceWidth = 8 + static_cast<int>(rng() % 2000), sourceHeight = 8 + static_cast<int>(rng() % 2000);
    batch.letterboxes.push_back(computeLetterbox(sourceWidth, sourceHeight, inputWidth, inputHeight));
  }
  return batch;
}

PostprocessOptions randomOptions(std::mt19937& rng) {
  PostprocessOptions o;
  o.scoreThreshold = std::vector<float>{0.02f, 0.3f, 0.5f, 0.9f}[rng() % 4];
  o.nmsThreshold = std::vector<float>{0.3f, 0.4f, 0.6f}[rng() % 3];
  o.preNmsTopK = std::vector<int>{0, 37, 750}[rng() % 3];
  o.maxFaces = std::vector<int>{0, 1, 13}[rng() % 3];
  o.clip = rng() % 2 == 0;
  return o;
}

void checkRandom(unsigned seed, int count, int rounds) {
  std::mt19937 rng(seed);
  cudatest::Stream stream;
  GpuPostprocessLimits limits;
  limits.maxBatch = count;
  limits.maxInputWidth = 720;
  limits.maxInputHeight = 720;
  limits.preNmsTopK = 750;
  limits.maxFaces = 0;
  GpuPostprocessor postprocessor(limits, stream.get());
  for (int round = 0; round < rounds; ++round) {
    const int width = 16 + static_cast<int>(rng() % 700), height = 16 + static_cast<int>(rng() % 700);
    const HostBatch batch = randomBatch(rng, count, width, height);
    PostprocessOptions options = randomOptions(rng);
    if (options.preNmsTopK == 0 && batch.priors > limits.preNmsTopK) options.preNmsTopK = limits.preNmsTopK;
    std::ostringstream what;
    what << "batch " << count << " round " << round << " (" << width << "x" << height << ", score "
         << options.scoreThreshold << ", nms " << options.nmsThreshold << ", top-k " << options.preNmsTopK << ", max "
         << options.maxFaces << ", clip " << options.clip << ")";
    size_t faces = 0;
    const double worst = compareBatch(postprocessor, batch, width, height, options, stream.get(), what.str(), &faces);
    std::printf("    %s: %zu faces, max diff %.3g\n", what.str().c_str(), faces, worst);
  }
}

}  // namespace

TEST(gpu_priors_equal_make_priors_bit_for_bit) {
  cudatest::Stream stream;
  std::mt19937 rng(5);
  std::vector<std::pair<int, int>> sizes = {{640, 640}, {389, 517}, {1, 1}, {1920, 1080}};
  for (int i = 0; i < 6; ++i) sizes.push_back({1 + static_cast<int>(rng() % 1000), 1 + static_cast<int>(rng() % 1000)});
  for (auto [width, height] : sizes) {
    const std::vector<Prior> cpu = makePriors(width, height);
    DeviceBuffer<Prior> device(cpu.size(), stream.get());
    cudatest::poison(device.get(), device.bytes(), stream.get());
    enqueueMakePriors(width, height, device.get(), stream.get());
    const std::vector<Prior> gpu = cudatest::toHost(device.get(), cpu.size(), stream.get());
    CHECK(std::memcmp(cpu.data(), gpu.data(), cpu.size() * sizeof(Prior)) == 0);
  }
}

TEST(gpu_postprocess_matches_cpu_on_reference_raw640) {
  const HostBatch all = loadRaw640();
  cudatest::Stream stream;
  for (const PostprocessOptions& options : {referenceOptions(), PostprocessOptions{}}) {
    const bool reference = options.preNmsTopK == 0;
    GpuPostprocessLimits limits;
    limits.maxBatch = static_cast<int>(all.letterboxes.size());
    limits.preNmsTopK = options.preNmsTopK;
    GpuPostprocessor postprocessor(limits, stream.get());
    // The whole batch at once, then each photo alone: results must not depend on the batch around an image.
    const std::string mode = reference ? "reference settings" : "API defaults";
    compareBatch(postprocessor, all, 640, 640, options, stream.get(), "raw640 batch, " + mode);
    const std::vector<std::vector<Face>> batched = runGpu(postprocessor, all, 640, 640, options, stream.get());
    for (size_t p = 0; p < all.letterboxes.size(); ++p) {
      HostBatch one;
      one.priors = all.priors;
      const size_t n = static_cast<size_t>(all.priors);
      one.loc.assign(all.loc.begin() + 4 * n * p, all.loc.begin() + 4 * n * (p + 1));
      one.conf.assign(all.conf.begin() + 2 * n * p, all.conf.begin() + 2 * n * (p + 1));
      one.landms.assign(all.landms.begin() + 10 * n * p, all.landms.begin() + 10 * n * (p + 1));
      one.letterboxes = {all.letterboxes[p]};
      const std::vector<std::vector<Face>> alone = runGpu(postprocessor, one, 640, 640, options, stream.get());
      CHECK_EQ(alone[0].size(), batched[p].size());
      CHECK(alone[0].size() == batched[p].size() &&
            std::memcmp(alone[0].data(), batched[p].data(), alone[0].size() * sizeof(Face)) == 0);
      if (reference) CHECK_EQ(batched[p].size(), kPhotos[p].referenceFaces);
      std::printf("    %s (%s): %zu faces\n", kPhotos[p].name, mode.c_str(), batched[p].size());
    }
  }
}

TEST(gpu_postprocess_matches_cpu_on_reference_raw_dynamic) {
  // PyTorch's outputs for a 517 (high) x 389 (wide) input at original scale: identity letterbox.
  const std::string base = cudatest::sharedDir() + "/data/reference/raw_dynamic/random_1x3x517x389";
  HostBatch batch;
  batch.priors = priorCount(389, 517);
  batch.loc = cudatest::readFloats(base + ".loc.f32");
  batch.conf = cudatest::readFloats(base + ".conf.f32");
  batch.landms = cudatest::readFloats(base + ".landms.f32");
  CHECK_EQ(batch.conf.size(), static_cast<size_t>(2 * batch.priors));
  batch.letterboxes = {identityLetterbox(389, 517)};
  cudatest::Stream stream;
  GpuPostprocessLimits limits;
  limits.maxInputWidth = 389;
  limits.maxInputHeight = 517;
  limits.preNmsTopK = 0;
  GpuPostprocessor postprocessor(limits, stream.get());
  size_t faces = 0;
  compareBatch(postprocessor, batch, 389, 517, referenceOptions(), stream.get(), "raw_dynamic", &faces);
  compareBatch(postprocessor, batch, 389, 517, PostprocessOptions{}, stream.get(), "raw_dynamic defaults");
  std::printf("    raw_dynamic: %zu faces at threshold 0.02\n", faces);
}

TEST(gpu_postprocess_matches_cpu_random_batch_1) { checkRandom(21, 1, 12); }
TEST(gpu_postprocess_matches_cpu_random_batch_7) { checkRandom(22, 7, 6); }
TEST(gpu_postprocess_matches_cpu_random_batch_64) { checkRandom(23, 64, 3); }

TEST(gpu_postprocess_keeps_images_apart) {
  // Image 0 is all confident faces, image 1 all background, image 2 a copy of image 0: 1 must stay empty and 2 must
  // equal 0 exactly, whatever the batch around them.
  std::mt19937 rng(31);
  HostBatch batch = randomBatch(rng, 3, 96, 64);
  const size_t n = static_cast<size_t>(batch.priors);
  for (size_t i = 0; i < n; ++i) {
    batch.conf[2 * i + 1] = 0.6f + 0.4f * static_cast<float>(i % 7) / 7;
    batch.conf[2 * (n + i) + 1] = 0.01f;
  }
  std::copy_n(batch.loc.begin(), 4 * n, batch.loc.begin() + 8 * n);
  std::copy_n(batch.conf.begin(), 2 * n, batch.conf.begin() + 4 * n);
  std::copy_n(batch.landms.begin(), 10 * n, batch.landms.begin() + 20 * n);
  batch.letterboxes[2] = batch.letterboxes[0];
  cudatest::Stream stream;
  GpuPostprocessLimits limits;
  limits.maxBatch = 3;
  limits.maxInputWidth = 96;
  limits.maxInputHeight = 64;
  limits.preNmsTopK = 0;
  GpuPostprocessor postprocessor(limits, stream.get());
  PostprocessOptions options;
  options.preNmsTopK = 0;
  const std::vector<std::vector<Face>> faces = runGpu(postprocessor, batch, 96, 64, options, stream.get());
  CHECK(!faces[0].empty());
  CHECK(faces[1].empty());
  CHECK(faces[0].size() == faces[2].size() &&
        std::memcmp(faces[0].data(), faces[2].data(), faces[0].size() * sizeof(Face)) == 0);
  compareBatch(postprocessor, batch, 96, 64, options, stream.get(), "separation");
}

TEST(gpu_nms_keeps_a_face_whose_iou_equals_the_threshold) {
  // Two confident anchors on one cell (sizes 16 and 32), zero offsets so exp(0) = 1 on both sides: the threshold is
  // set to their exact IoU, where upstream keeps both (ovr <= thresh), and one float below it, where it keeps one.
  HostBatch batch;
  batch.priors = priorCount(64, 64);
  const size_t n = static_cast<size_t>(batch.priors);
  batch.loc.assign(4 * n, 0.0f);
  batch.landms.assign(10 * n, 0.0f);
  batch.conf.assign(2 * n, 0.0f);
  batch.conf[1] = 0.9f;
  batch.conf[3] = 0.8f;
  batch.letterboxes = {computeLetterbox(100, 80, 64, 64)};
  const std::vector<Prior> priors = makePriors(64, 64);
  std::vector<Face> decoded;
  decodeFaces(batch.image(0), priors, batch.letterboxes[0], 0.5f, decoded);
  CHECK_EQ(decoded.size(), static_cast<size_t>(2));
  const float iou = iouPlusOne(decoded[0], decoded[1]);
  cudatest::Stream stream;
  GpuPostprocessLimits limits;
  limits.maxInputWidth = 64;
  limits.maxInputHeight = 64;
  GpuPostprocessor postprocessor(limits, stream.get());
  PostprocessOptions options;
  options.nmsThreshold = iou;
  CHECK_EQ(runGpu(postprocessor, batch, 64, 64, options, stream.get())[0].size(), static_cast<size_t>(2));
  compareBatch(postprocessor, batch, 64, 64, options, stream.get(), "IoU at the threshold");
  options.nmsThreshold = std::nextafter(iou, 0.0f);
  CHECK_EQ(runGpu(postprocessor, batch, 64, 64, options, stream.get())[0].size(), static_cast<size_t>(1));
  compareBatch(postprocessor, batch, 64, 64, options, stream.get(), "IoU above the threshold");
}

TEST(gpu_postprocess_rejects_requests_beyond_its_limits) {
  cudatest::Stream stream;
  GpuPostprocessLimits limits;
  limits.maxBatch = 2;
  limits.maxInputWidth = 320;
  limits.maxInputHeight = 320;
  limits.preNmsTopK = 100;
  limits.maxFaces = 10;
  GpuPostprocessor postprocessor(limits, stream.get());
  const DeviceRawOutputs none{nullptr, nullptr, nullptr};
  PostprocessOptions options;
  options.preNmsTopK = 100;
  options.maxFaces = 10;
  CHECK_THROWS(postprocessor.enqueue(none, nullptr, 3, 320, 320, options));  // batch
  CHECK_THROWS(postprocessor.enqueue(none, nullptr, 1, 640, 320, options));  // input size
  options.preNmsTopK = 0;
  CHECK_THROWS(postprocessor.enqueue(none, nullptr, 1, 320, 320, options));  // all 4200 priors > 100
  options.preNmsTopK = 100;
  options.maxFaces = 0;
  CHECK_THROWS(postprocessor.enqueue(none, nullptr, 1, 320, 320, options));  // up to 100 faces > 10
  GpuPostprocessLimits huge;
  huge.maxInputWidth = 4000;
  huge.maxInputHeight = 4000;
  huge.preNmsTopK = 0;  // every prior: the greedy pass's bitset would not fit shared memory
  CHECK_THROWS(GpuPostprocessor(huge, stream.get()));
}
