// The TensorRT backend's CUDA lane device without TensorRT: a batch goes through it as a session drives it
// (enqueuePreprocess -> the engine -> enqueuePostprocess -> collect), with the engine's part played by copying the
// reference implementation's raw 640 outputs into the lane's output tensors. The lane's input tensor must equal the
// CPU letterbox bit for bit, and its faces the CPU postprocess of the same outputs.
#include <cmath>
#include <cstring>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/postprocess.h"
#include "core/preprocess.h"
#include "core/priors.h"
#include "cuda/pinned_pool.h"
#include "cuda_test_support.h"
#include "harness.h"
#include "trt/gpu/cuda_lane_device.h"

using namespace retinaface;

namespace {

struct Photo {
  const char* name;
  int width, height;
};
// The reference photos' sizes (shared/data/reference/photos_lb640.json), so their raw outputs fit the letterboxes.
constexpr Photo kPhotos[] = {{"fr_two_people", 1126, 661},
                             {"rf_curve_test", 1024, 624},
                             {"dlib_voc_2008_002470", 500, 332},
                             {"fr_32bit", 626, 1200},
                             {"dlib_cars_noface", 928, 478}};
constexpr int kCanvas = 640;

// Box and landmarks within 1e-3 px, score within 1e-6, in the same order.
std::string compareFaces(const std::vector<Face>& cpu, const float* gpu, int count) {
  std::ostringstream problems;
  if (static_cast<size_t>(count) != cpu.size()) {
    problems << count << " faces on the GPU, " << cpu.size() << " on the CPU";
    return problems.str();
  }
  for (int i = 0; i < count; ++i) {
    const Face& c = cpu[static_cast<size_t>(i)];
    const float* g = gpu + static_cast<size_t>(i) * kFaceFloats;
    const float expected[kFaceFloats] = {c.x1,           c.y1,           c.x2,           c.y2,
                                         c.score,        c.landmarks[0], c.landmarks[1], c.landmarks[2],
                                         c.landmarks[3], c.landmarks[4], c.landmarks[5], c.landmarks[6],
                                         c.landmarks[7], c.landmarks[8], c.landmarks[9]};
    for (int k = 0; k < kFaceFloats; ++k) {
      const float tolerance = k == 4 ? 1e-6f : 1e-3f;
      if (!(std::fabs(g[k] - expected[k]) <= tolerance)) {
        problems << "face " << i << " value " << k << ": GPU " << g[k] << ", CPU " << expected[k];
        return problems.str();
      }
    }
  }
  return "";
}

}  // namespace

TEST(gpu_lane_device_runs_a_batch_like_the_cpu) {
  const std::string dir = cudatest::sharedDir() + "/data/reference/raw640/";
  const int batch = static_cast<int>(std::size(kPhotos));
  const size_t priors = static_cast<size_t>(priorCount(kCanvas, kCanvas));
  const size_t plane = static_cast<size_t>(kCanvas) * kCanvas;

  // Random pixels at the photos' sizes: the letterbox geometry is the photos', the pixel values do not matter here.
  std::mt19937 rng(7);
  std::vector<std::vector<uint8_t>> pixels;
  std::vector<PixelView> views;
  std::vector<Letterbox> letterboxes;
  for (const Photo& photo : kPhotos) {
    pixels.emplace_back(static_cast<size_t>(photo.width) * photo.height * 3);
    for (uint8_t& p : pixels.back()) p = static_cast<uint8_t>(rng());
  }
  for (size_t i = 0; i < pixels.size(); ++i) {
    views.push_back({pixels[i].data(), kPhotos[i].width, kPhotos[i].height, 3, kPhotos[i].width * 3});
    letterboxes.push_back(computeLetterbox(kPhotos[i].width, kPhotos[i].height, kCanvas, kCanvas));
  }
  std::vector<float> loc, conf, landms;
  for (const Photo& photo : kPhotos) {
    const std::string base = dir + photo.name;
    for (auto [suffix, target] :
         {std::pair{".loc.f32", &loc}, std::pair{".conf.f32", &conf}, std::pair{".landms.f32", &landms}}) {
      const std::vector<float> values = cudatest::readFloats(base + suffix);
      target->insert(target->end(), values.begin(), values.end());
    }
  }

  trt::LaneLimits limits;
  limits.maxBatch = batch;
  limits.maxInput = {kCanvas, kCanvas};
  // Slots smaller than the largest photo: that image takes the lane's path for pixels that do not fit a slot.
  cuda::PinnedPool pinned(2, size_t{2} << 20);
  trt::CudaLaneDevice lane(limits, pinned, 0);
  const trt::TensorBindings tensors = lane.tensors();
  const auto stream = static_cast<cudaStream_t>(lane.stream());

  lane.enqueuePreprocess(views, letterboxes, {kCanvas, kCanvas});
  const std::vector<float> input = cudatest::toHost(static_cast<const float*>(tensors.input), batch * 3 * plane,
                                                    stream);
  int differing = 0;
  for (int b = 0; b < batch; ++b) {
    std::vector<float> cpu(3 * plane);
    letterboxToTensor(views[static_cast<size_t>(b)], letterboxes[static_cast<size_t>(b)], cpu.data());
    if (std::memcmp(cpu.data(), input.data() + static_cast<size_t>(b) * 3 * plane, cpu.size() * sizeof(float)) != 0) {
      ++differing;
      std::printf("     %s: the lane's input differs from the CPU letterbox\n", kPhotos[b].name);
    }
  }
  CHECK_EQ(differing, 0);

  // The engine's part: the reference outputs into the lane's output tensors, on the lane's stream.
  RF_CUDA_CHECK(cudaMemcpyAsync(tensors.loc, loc.data(), loc.size() * sizeof(float), cudaMemcpyHostToDevice, stream));
  RF_CUDA_CHECK(
      cudaMemcpyAsync(tensors.conf, conf.data(), conf.size() * sizeof(float), cudaMemcpyHostToDevice, stream));
  RF_CUDA_CHECK(
      cudaMemcpyAsync(tensors.landms, landms.data(), landms.size() * sizeof(float), cudaMemcpyHostToDevice, stream));
  PostprocessOptions options;  // the API's defaults, whose maxFaces (1000) is also the lane's default cap
  options.maxFaces = limits.maxFaces;
  lane.enqueuePostprocess(batch, {kCanvas, kCanvas}, options);
  trt::DetectResult result;
  lane.collect(batch, result);

  CHECK_EQ(result.counts.size(), static_cast<size_t>(batch));
  const std::vector<Prior> cpuPriors = makePriors(kCanvas, kCanvas);
  size_t offset = 0;
  int mismatched = 0, faces = 0;
  for (int b = 0; b < batch && static_cast<size_t>(b) < result.counts.size(); ++b) {
    const size_t i = static_cast<size_t>(b);
    const RawOutputs raw{loc.data() + 4 * priors * i, conf.data() + 2 * priors * i, landms.data() + 10 * priors * i};
    const std::vector<Face> cpu = postprocessImage(raw, cpuPriors, letterboxes[i], options);
    const std::string problem = compareFaces(cpu, result.faces.data() + offset, result.counts[i]);
    if (!problem.empty()) {
      ++mismatched;
      std::printf("     %s: %s\n", kPhotos[b].name, problem.c_str());
    }
    faces += result.counts[i];
    offset += static_cast<size_t>(result.counts[i]) * kFaceFloats;
  }
  std::printf("    %d faces in %d images\n", faces, batch);
  CHECK_EQ(mismatched, 0);
  CHECK_EQ(offset, result.faces.size());
}
