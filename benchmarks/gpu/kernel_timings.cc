// Times the CUDA kernels against their CPU twins at batch 1, 16 and 64 and writes results.json + results.md.
// GPU times: CUDA events around each enqueue on a non-default stream, median of many runs after a warm-up.
// CPU times: the native/core function for one image on one thread, median of many runs.
// Without a CUDA device only the CPU twin is timed (the JSON says why the GPU part is missing).
//
// Usage: retinaface_gpu_bench [--out DIR] [--runs N] [--warmup N] [--cpu-only]
#include <cuda_runtime_api.h>

#include <algorithm>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <fstream>
#include <functional>
#include <random>
#include <sstream>
#include <string>
#include <vector>

#include "core/postprocess.h"
#include "core/preprocess.h"
#include "core/priors.h"
#include "cuda/batch_upload.h"
#include "cuda/cuda_check.h"
#include "cuda/gpu_postprocess.h"
#include "cuda/letterbox_preprocess.h"
#include "cuda/pinned_pool.h"

using namespace retinaface;
using namespace retinaface::cuda;

namespace {

constexpr int kInput = 640;                              // network input (letterbox canvas)
constexpr int kSourceWidth = 1280, kSourceHeight = 720;  // an HD frame, RGB
constexpr int kBatches[] = {1, 16, 64};

struct Settings {
  std::string outDir = ".";
  int runs = 200;
  int warmup = 20;
  bool cpuOnly = false;
};

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  const size_t n = values.size();
  return n % 2 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
}

// Median wall time of fn in microseconds.
double timeCpu(const std::function<void()>& fn, int runs, int warmup) {
  for (int i = 0; i < warmup; ++i) fn();
  std::vector<double> us;
  for (int i = 0; i < runs; ++i) {
    const auto start = std::chrono::steady_clock::now();
    fn();
    us.push_back(std::chrono::duration<double, std::micro>(std::chrono::steady_clock::now() - start).count());
  }
  return median(us);
}

// Median device time in microseconds of the work fn enqueues on stream, bracketed by events.
double timeGpu(const std::function<void()>& fn, cudaStream_t stream, int runs, int warmup) {
  cudaEvent_t start, stop;
  RF_CUDA_CHECK(cudaEventCreate(&start));
  RF_CUDA_CHECK(cudaEventCreate(&stop));
  for (int i = 0; i < warmup; ++i) fn();
  RF_CUDA_CHECK(cudaStreamSynchronize(stream));
  std::vector<double> us;
  for (int i = 0; i < runs; ++i) {
    RF_CUDA_CHECK(cudaEventRecord(start, stream));
    fn();
    RF_CUDA_CHECK(cudaEventRecord(stop, stream));
    RF_CUDA_CHECK(cudaEventSynchronize(stop));
    float ms = 0;
    RF_CUDA_CHECK(cudaEventElapsedTime(&ms, start, stop));
    us.push_back(ms * 1000.0);
  }
  RF_CUDA_CHECK(cudaEventDestroy(start));
  RF_CUDA_CHECK(cudaEventDestroy(stop));
  return median(us);
}

// Raw outputs for the postprocess timings: the reference's real 640 outputs when shared/ is there (5 photos, cycled
// over the batch), random ones with a few percent of confident priors otherwise.
struct RawSet {
  std::string source;
  int images = 0;
  std::vector<float> loc, conf, landms;
  std::vector<Letterbox> letterboxes;
};

bool readFloats(const std::string& path, std::vector<float>& out) {
  std::ifstream in(path, std::ios::binary | std::ios::ate);
  if (!in) return false;
  const size_t count = static_cast<size_t>(in.tellg()) / sizeof(float);
  in.seekg(0);
  const size_t old = out.size();
  out.resize(old + count);
  return static_cast<bool>(in.read(reinterpret_cast<char*>(out.data() + old), count * sizeof(float)));
}

RawSet loadRawSet() {
  RawSet set;
  const int n = priorCount(kInput, kInput);
  std::vector<std::string> roots;
  if (const char* env = std::getenv("RETINAFACE_SHARED")) roots.push_back(env);
  roots.push_back(std::string(RETINAFACE_SOURCE_DIR) + "/../shared");
  roots.push_back(std::string(RETINAFACE_SOURCE_DIR) + "/shared");
  // Photo sizes from shared/data/reference/photos_lb640.json.
  const struct {
    const char* name;
    int width, height;
  } photos[] = {{"fr_two_people", 1126, 661},
                {"rf_curve_test", 1024, 624},
                {"dlib_voc_2008_002470", 500, 332},
                {"fr_32bit", 626, 1200},
                {"dlib_cars_noface", 928, 478}};
  for (const std::string& root : roots) {
    RawSet candidate;
    bool ok = true;
    for (const auto& p : photos) {
      const std::string base = root + "/data/reference/raw640/" + p.name;
      ok = ok && readFloats(base + ".loc.f32", candidate.loc) && readFloats(base + ".conf.f32", candidate.conf) &&
           readFloats(base + ".landms.f32", candidate.landms);
      candidate.letterboxes.push_back(computeLetterbox(p.width, p.height, kInput, kInput));
    }
    if (ok && candidate.conf.size() == static_cast<size_t>(2 * n * 5)) {
      candidate.source = "shared/data/reference/raw640 (5 photos, cycled)";
      candidate.images = 5;
      return candidate;
    }
  }
  set.source = "random outputs (shared/ not found)";
  set.images = 5;
  std::mt19937 rng(3);
  std::uniform_real_distribution<float> unit(0.0f, 1.0f), offset(-1.0f, 1.0f);
  for (int b = 0; b < set.images; ++b) {
    for (int i = 0; i < n; ++i) {
      const float score = unit(rng) < 0.01f ? 0.5f + 0.5f * unit(rng) : 0.05f * unit(rng);
      set.conf.push_back(1 - score);
      set.conf.push_back(score);
      for (int k = 0; k < 4; ++k) set.loc.push_back(offset(rng));
      for (int k = 0; k < 10; ++k) set.landms.push_back(offset(rng));
    }
    set.letterboxes.push_back(computeLetterbox(1280, 720, kInput, kInput));
  }
  return set;
}

// The batch's outputs: image b is image (b % images) of the set.
void tile(const RawSet& set, int batch, std::vector<float>& loc, std::vector<float>& conf, std::vector<float>& landms,
          std::vector<Letterbox>& letterboxes) {
  const size_t n = static_cast<size_t>(priorCount(kInput, kInput));
  loc.clear();
  conf.clear();
  landms.clear();
  letterboxes.clear();
  for (int b = 0; b < batch; ++b) {
    const size_t i = static_cast<size_t>(b % set.images);
    loc.insert(loc.end(), set.loc.begin() + 4 * n * i, set.loc.begin() + 4 * n * (i + 1));
    conf.insert(conf.end(), set.conf.begin() + 2 * n * i, set.conf.begin() + 2 * n * (i + 1));
    landms.insert(landms.end(), set.landms.begin() + 10 * n * i, set.landms.begin() + 10 * n * (i + 1));
    letterboxes.push_back(set.letterboxes[i]);
  }
}

PostprocessOptions optionsFor(const std::string& name) {
  PostprocessOptions o;  // API defaults: score 0.5, NMS 0.4, top-k 5000, clip
  if (name == "dense") o.scoreThreshold = 0.02f;  // the reference's evaluation threshold: thousands of candidates
  return o;
}

struct Row {
  int batch = 0;
  double gpuPreprocessFp32 = 0, gpuPreprocessFp16 = 0, gpuUpload = 0;  // µs per image
  double preprocessGBps = 0;                                             // FP32 kernel, bytes read + written
  double gpuPostDefault = 0, gpuPostDense = 0;                           // µs per image
};

struct Results {
  std::string device, gpuSkipReason;
  double d2dGBps = 0, h2dGBps = 0;
  double cpuPreprocess = 0, cpuPostDefault = 0, cpuPostDense = 0;  // µs per image
  std::string rawSource;
  std::vector<Row> rows;
};

void measureCopies(Results& r, cudaStream_t stream, const Settings& s) {
  const size_t bytes = size_t{256} << 20;
  DeviceBuffer<uint8_t> a(bytes, stream), b(bytes, stream);
  PinnedPool host(1, bytes);
  PinnedPool::Lease lease = host.acquire(stream);
  std::memset(lease.data(), 1, bytes);
  RF_CUDA_CHECK(cudaMemsetAsync(a.get(), 2, bytes, stream));
  const int runs = std::max(10, s.runs / 10);
  const double d2d = timeGpu([&] {
    RF_CUDA_CHECK(cudaMemcpyAsync(b.get(), a.get(), bytes, cudaMemcpyDeviceToDevice, stream));
  }, stream, runs, 3);
  const double h2d = timeGpu([&] { lease.copyToDeviceAsync(a.get(), 0, bytes); }, stream, runs, 3);
  r.d2dGBps = 2.0 * bytes / (d2d * 1e3);  // read + write
  r.h2dGBps = 1.0 * bytes / (h2d * 1e3);
}

// Everything that allocates on `stream` lives in here, so that it is freed before the stream is destroyed
// (DeviceBuffer frees with cudaFreeAsync on its stream).
void measureOnStream(Results& r, const RawSet& set, const std::vector<uint8_t>& frame, const Settings& s,
                     cudaStream_t stream) {
  measureCopies(r, stream, s);
  const int maxBatch = kBatches[sizeof(kBatches) / sizeof(kBatches[0]) - 1];
  const Letterbox lb = computeLetterbox(kSourceWidth, kSourceHeight, kInput, kInput);
  const PixelView view{frame.data(), kSourceWidth, kSourceHeight, 3, kSourceWidth * 3};
  const size_t plane = static_cast<size_t>(kInput) * kInput;

  const size_t slotBytes = planBatch(std::vector<PixelView>(static_cast<size_t>(maxBatch), view),
                                     std::vector<Letterbox>(static_cast<size_t>(maxBatch), lb))
                               .totalBytes;
  PinnedPool pool(2, slotBytes);
  DeviceBuffer<uint8_t> upload(slotBytes, stream);
  DeviceBuffer<float> tensor(static_cast<size_t>(maxBatch) * 3 * plane, stream);
  GpuPreprocessor preprocessor(maxBatch, kInput, kInput, stream);
  GpuPostprocessLimits limits;
  limits.maxBatch = maxBatch;
  GpuPostprocessor post(limits, stream);

  for (int batch : kBatches) {
    Row row;
    row.batch = batch;
    const std::vector<PixelView> views(static_cast<size_t>(batch), view);
    const std::vector<Letterbox> lbs(static_cast<size_t>(batch), lb);
    DeviceBatch device;
    {
      PinnedPool::Lease lease = pool.acquire(stream);
      device = uploadBatch(lease, views, lbs, upload.get(), upload.size());
      row.gpuUpload = timeGpu([&] { lease.copyToDeviceAsync(upload.get(), 0, device.bytes); }, stream, s.runs,
                              s.warmup) /
                      batch;
    }
    auto preprocess = [&](TensorFormat format) {
      return timeGpu([&] {
        preprocessor.enqueue(device.base, device.geometry, batch, kInput, kInput, format, tensor.get(), stream);
      }, stream, s.runs, s.warmup);
    };
    const double fp32 = preprocess(TensorFormat::Float32);
    row.gpuPreprocessFp32 = fp32 / batch;
    row.gpuPreprocessFp16 = preprocess(TensorFormat::Float16) / batch;
    const double bytes = static_cast<double>(batch) *
                         (static_cast<double>(kSourceWidth) * kSourceHeight * 3 + 3.0 * plane * sizeof(float));
    row.preprocessGBps = bytes / (fp32 * 1e3);

    std::vector<float> loc, conf, landms;
    std::vector<Letterbox> rawLbs;
    tile(set, batch, loc, conf, landms, rawLbs);
    DeviceBuffer<float> dLoc(loc.size(), stream), dConf(conf.size(), stream), dLandms(landms.size(), stream);
    std::vector<ImageGeometry> geometry;
    for (const Letterbox& l : rawLbs) geometry.push_back(makeImageGeometry(l, 3, l.sourceWidth * 3, 0));
    DeviceBuffer<ImageGeometry> dGeometry(geometry.size(), stream);
    RF_CUDA_CHECK(cudaMemcpyAsync(dLoc.get(), loc.data(), dLoc.bytes(), cudaMemcpyHostToDevice, stream));
    RF_CUDA_CHECK(cudaMemcpyAsync(dConf.get(), conf.data(), dConf.bytes(), cudaMemcpyHostToDevice, stream));
    RF_CUDA_CHECK(cudaMemcpyAsync(dLandms.get(), landms.data(), dLandms.bytes(), cudaMemcpyHostToDevice, stream));
    RF_CUDA_CHECK(cudaMemcpyAsync(dGeometry.get(), geometry.data(), dGeometry.bytes(), cudaMemcpyHostToDevice, stream));
    for (const char* mode : {"default", "dense"}) {
      const PostprocessOptions options = optionsFor(mode);
      const double us = timeGpu([&] {
        post.enqueue({dLoc.get(), dConf.get(), dLandms.get()}, dGeometry.get(), batch, kInput, kInput, options);
      }, stream, s.runs, s.warmup);
      (std::string(mode) == "default" ? row.gpuPostDefault : row.gpuPostDense) = us / batch;
    }
    RF_CUDA_CHECK(cudaStreamSynchronize(stream));
    r.rows.push_back(row);
    std::printf("batch %2d: GPU preprocess %.1f us/img (FP32), decode+NMS %.1f us/img\n", batch, row.gpuPreprocessFp32,
                row.gpuPostDefault);
    std::fflush(stdout);  // a pipe buffers: keep what was measured if a later step dies
  }
  RF_CUDA_CHECK(cudaStreamSynchronize(stream));
}

void measureGpu(Results& r, const RawSet& set, const std::vector<uint8_t>& frame, const Settings& s) {
  cudaStream_t stream;
  RF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream, cudaStreamNonBlocking));
  measureOnStream(r, set, frame, s, stream);
  RF_CUDA_CHECK(cudaStreamSynchronize(stream));
  RF_CUDA_CHECK(cudaStreamDestroy(stream));
}

void measureCpu(Results& r, const RawSet& set, const std::vector<uint8_t>& frame, const Settings& s) {
  const Letterbox lb = computeLetterbox(kSourceWidth, kSourceHeight, kInput, kInput);
  const PixelView view{frame.data(), kSourceWidth, kSourceHeight, 3, kSourceWidth * 3};
  std::vector<float> tensor(3 * static_cast<size_t>(kInput) * kInput);
  const int runs = std::max(5, s.runs / 4);
  r.cpuPreprocess = timeCpu([&] { letterboxToTensor(view, lb, tensor.data()); }, runs, 3);
  const std::vector<Prior> priors = makePriors(kInput, kInput);
  const size_t n = priors.size();
  for (const char* mode : {"default", "dense"}) {
    const PostprocessOptions options = optionsFor(mode);
    std::vector<double> perImage;
    for (int i = 0; i < set.images; ++i) {
      const RawOutputs raw{set.loc.data() + 4 * n * i, set.conf.data() + 2 * n * i, set.landms.data() + 10 * n * i};
      perImage.push_back(timeCpu([&] { (void)postprocessImage(raw, priors, set.letterboxes[i], options); }, runs, 3));
    }
    double mean = 0;
    for (double v : perImage) mean += v / perImage.size();  // mean over the photos of each photo's median
    (std::string(mode) == "default" ? r.cpuPostDefault : r.cpuPostDense) = mean;
  }
  std::printf("CPU twin: preprocess %.1f us/img, decode+NMS %.1f us/img (score 0.5), %.1f (score 0.02)\n",
              r.cpuPreprocess, r.cpuPostDefault, r.cpuPostDense);
}

std::string number(double v) {
  std::ostringstream os;
  os.precision(4);
  os << v;
  return os.str();
}

void write(const Results& r, const Settings& s) {
  const bool gpu = r.gpuSkipReason.empty();
  std::ofstream json(s.outDir + "/results.json");
  json << "{\n  \"device\": \"" << r.device << "\",\n";
  json << "  \"gpu_skipped\": " << (gpu ? "null" : "\"" + r.gpuSkipReason + "\"") << ",\n";
  json << "  \"workload\": {\"input\": [" << kInput << ", " << kInput << "], \"preprocess_source\": [" << kSourceWidth
       << ", " << kSourceHeight << ", 3], \"postprocess_outputs\": \"" << r.rawSource << "\", \"runs\": " << s.runs
       << ", \"warmup\": " << s.warmup << ", \"statistic\": \"median\"},\n";
  json << "  \"copy_bandwidth_GBps\": "
       << (gpu ? "{\"device_to_device_read_plus_write\": " + number(r.d2dGBps) +
                     ", \"host_to_device_pinned\": " + number(r.h2dGBps) + "}"
               : "null")
       << ",\n";
  json << "  \"cpu_twin_us_per_image\": {\"preprocess\": " << number(r.cpuPreprocess)
       << ", \"decode_nms_score_0.5\": " << number(r.cpuPostDefault)
       << ", \"decode_nms_score_0.02\": " << number(r.cpuPostDense) << "},\n";
  json << "  \"batches\": [";
  for (size_t i = 0; i < r.rows.size(); ++i) {
    const Row& w = r.rows[i];
    json << (i ? ",\n    " : "\n    ") << "{\"batch\": " << w.batch
         << ", \"gpu_us_per_image\": {\"upload_h2d\": " << number(w.gpuUpload)
         << ", \"preprocess_fp32\": " << number(w.gpuPreprocessFp32)
         << ", \"preprocess_fp16\": " << number(w.gpuPreprocessFp16)
         << ", \"decode_nms_score_0.5\": " << number(w.gpuPostDefault)
         << ", \"decode_nms_score_0.02\": " << number(w.gpuPostDense)
         << "}, \"preprocess_fp32_GBps\": " << number(w.preprocessGBps)
         << ", \"preprocess_fraction_of_d2d\": " << number(w.preprocessGBps / r.d2dGBps)
         << ", \"preprocess_fraction_of_h2d\": " << number(w.preprocessGBps / r.h2dGBps) << "}";
  }
  json << (r.rows.empty() ? "]\n}\n" : "\n  ]\n}\n");

  std::ofstream md(s.outDir + "/results.md");
  md << "# GPU kernel timings\n\n";
  md << "Device: " << r.device << ". Input " << kInput << "x" << kInput << "; preprocess source " << kSourceWidth << "x"
     << kSourceHeight << " RGB; decode+NMS on " << r.rawSource << ". Median of " << s.runs << " runs after " << s.warmup
     << " warm-up runs (CUDA events); CPU twin: one thread, one image.\n\n";
  if (!gpu) md << "GPU part skipped: " << r.gpuSkipReason << "\n\n";
  if (gpu) {
    md << "Copy bandwidth: device-to-device " << number(r.d2dGBps) << " GB/s (read + write), host-to-device (pinned) "
       << number(r.h2dGBps) << " GB/s.\n\n";
    md << "| batch | upload µs/img | preprocess FP32 µs/img | FP16 µs/img | preprocess GB/s (share of D2D) | "
          "decode+NMS µs/img (score 0.5) | (score 0.02) |\n|---|---|---|---|---|---|---|\n";
    for (const Row& w : r.rows) {
      md << "| " << w.batch << " | " << number(w.gpuUpload) << " | " << number(w.gpuPreprocessFp32) << " | "
         << number(w.gpuPreprocessFp16) << " | " << number(w.preprocessGBps) << " ("
         << number(100 * w.preprocessGBps / r.d2dGBps) << "%) | " << number(w.gpuPostDefault) << " | "
         << number(w.gpuPostDense) << " |\n";
    }
    md << "\n";
  }
  md << "CPU twin (µs per image): preprocess " << number(r.cpuPreprocess) << ", decode+NMS " << number(r.cpuPostDefault)
     << " (score 0.5), " << number(r.cpuPostDense) << " (score 0.02).\n";
}

Settings parse(int argc, char** argv) {
  Settings s;
  if (const char* out = std::getenv("OUT")) s.outDir = out;
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const bool hasValue = i + 1 < argc;
    if (arg == "--out" && hasValue) s.outDir = argv[++i];
    else if (arg == "--runs" && hasValue) s.runs = std::max(1, std::atoi(argv[++i]));
    else if (arg == "--warmup" && hasValue) s.warmup = std::max(0, std::atoi(argv[++i]));
    else if (arg == "--cpu-only") s.cpuOnly = true;
    else {
      std::fprintf(stderr, "usage: %s [--out DIR] [--runs N] [--warmup N] [--cpu-only]\n", argv[0]);
      std::exit(2);
    }
  }
  return s;
}

}  // namespace

int main(int argc, char** argv) {
  const Settings settings = parse(argc, argv);
  Results results;
  const RawSet set = loadRawSet();
  results.rawSource = set.source;
  std::vector<uint8_t> frame(static_cast<size_t>(kSourceWidth) * kSourceHeight * 3);
  std::mt19937 rng(1);
  for (uint8_t& p : frame) p = static_cast<uint8_t>(rng());

  int devices = 0;
  const cudaError_t status = cudaGetDeviceCount(&devices);
  if (settings.cpuOnly) {
    results.gpuSkipReason = "--cpu-only";
  } else if (status != cudaSuccess || devices == 0) {
    results.gpuSkipReason = std::string("no CUDA device (") + cudaGetErrorName(status) + ")";
  }
  results.device = "none";
  try {
    if (results.gpuSkipReason.empty()) {
      cudaDeviceProp props{};
      RF_CUDA_CHECK(cudaGetDeviceProperties(&props, 0));
      results.device = std::string(props.name) + " (sm_" + std::to_string(props.major) + std::to_string(props.minor) +
                       ", " + std::to_string(props.multiProcessorCount) + " SMs)";
      measureGpu(results, set, frame, settings);
    }
    measureCpu(results, set, frame, settings);
    write(results, settings);
  } catch (const CodedError& e) {
    std::fprintf(stderr, "%s: %s\n", e.code(), e.what());
    return 1;
  }
  std::printf("results written to %s/results.json and results.md\n", settings.outDir.c_str());
  return 0;
}
