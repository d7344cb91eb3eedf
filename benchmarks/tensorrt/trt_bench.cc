// The TensorRT benchmark for a machine with TensorRT and a GPU but no Node: the addon's own pipeline (layer library,
// engine cache, CUDA lanes, scheduler) driven from C++. For each precision it finds or builds the engine, runs the
// bundle's photos (prepared by prepare.ts) and compares the faces with the CPU backend's, then measures latency at
// batch 1 and throughput at the full batch on every stream.
//
// Usage: retinaface_trt_bench --bundle DIR [--precision fp16|fp32|both] [--batch 8] [--streams 2] [--iterations 50]
//                             [--cache DIR] [--layer-dir DIR] [--workspace-mb 1024] [--json FILE]
// Exit status: 0 when every precision matches the CPU faces, 1 when one does not, 2 when TensorRT cannot run.
#include <algorithm>
#include <chrono>
#include <cmath>
#include <condition_variable>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <future>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <vector>

#include "core/coded_error.h"
#include "core/face.h"
#include "trt/cache/cache_dir.h"
#include "trt/cache/file_io.h"
#include "trt/layer/layer_loader.h"
#include "trt/layer/log_router.h"
#include "trt/open_session.h"
#include "trt/pipeline/detector_session.h"
#include "trt/probe/availability.h"

using namespace retinaface;
using namespace retinaface::trt;

namespace {

struct Image {
  std::string name;
  int width = 0, height = 0, channels = 0;
  std::vector<uint8_t> pixels;
  PixelView view() const { return PixelView{pixels.data(), width, height, channels, width * channels}; }
};

struct Bundle {
  std::map<std::string, std::string> settings;
  std::vector<Image> images;
  std::map<std::string, std::vector<Face>> cpuFaces;
};

struct Arguments {
  std::string bundle, cacheDir, layerDir, jsonFile;
  std::vector<Precision> precisions = {Precision::Fp32, Precision::Fp16};
  int batch = 8, streams = 2, iterations = 50, workspaceMb = 1024;
};

[[noreturn]] void die(const std::string& message, int status = 2) {
  std::fprintf(stderr, "retinaface_trt_bench: %s\n", message.c_str());
  std::exit(status);
}

Arguments parseArguments(int argc, char** argv) {
  Arguments a;
  a.cacheDir = engineCacheDir();
  a.layerDir = defaultLayerDirectory();
  for (int i = 1; i < argc; ++i) {
    const std::string key = argv[i];
    if (i + 1 >= argc) die("missing value after " + key);
    const std::string value = argv[++i];
    if (key == "--bundle") a.bundle = value;
    else if (key == "--cache") a.cacheDir = value;
    else if (key == "--layer-dir") a.layerDir = value;
    else if (key == "--json") a.jsonFile = value;
    else if (key == "--batch") a.batch = std::stoi(value);
    else if (key == "--streams") a.streams = std::stoi(value);
    else if (key == "--iterations") a.iterations = std::stoi(value);
    else if (key == "--workspace-mb") a.workspaceMb = std::stoi(value);
    else if (key == "--precision") {
      a.precisions = value == "both" ? std::vector<Precision>{Precision::Fp32, Precision::Fp16}
                                     : std::vector<Precision>{parsePrecision(value)};
    } else die("unknown option " + key);
  }
  if (a.bundle.empty()) die("--bundle DIR is required (make one with benchmarks/tensorrt/prepare.ts)");
  return a;
}

std::vector<std::vector<std::string>> readTsv(const std::string& path) {
  std::ifstream file(path);
  if (!file) die("cannot read " + path);
  std::vector<std::vector<std::string>> rows;
  for (std::string line; std::getline(file, line);) {
    if (line.empty()) continue;
    std::vector<std::string> fields;
    std::stringstream stream(line);
    for (std::string field; std::getline(stream, field, '\t');) fields.push_back(field);
    rows.push_back(fields);
  }
  return rows;
}

Bundle readBundle(const std::string& dir) {
  Bundle bundle;
  std::ifstream settings(dir + "/bundle.txt");
  if (!settings) die(dir + "/bundle.txt not found: make the bundle with benchmarks/tensorrt/prepare.ts");
  for (std::string line; std::getline(settings, line);) {
    const size_t eq = line.find('=');
    if (eq != std::string::npos) bundle.settings[line.substr(0, eq)] = line.substr(eq + 1);
  }
  for (const auto& row : readTsv(dir + "/manifest.tsv")) {
    if (row.size() != 5) die("manifest.tsv: expected 5 fields");
    Image image;
    image.name = row[0];
    image.width = std::stoi(row[1]);
    image.height = std::stoi(row[2]);
    image.channels = std::stoi(row[3]);
    std::optional<std::vector<uint8_t>> pixels = readWholeFile(dir + "/" + row[4]);
    if (!pixels || pixels->size() != static_cast<size_t>(image.width) * image.height * image.channels)
      die("bad pixel file " + row[4]);
    image.pixels = std::move(*pixels);
    bundle.images.push_back(std::move(image));
  }
  for (const auto& row : readTsv(dir + "/cpu-faces.tsv")) {
    if (row.size() != 2 + 4 + 10) die("cpu-faces.tsv: expected 16 fields");
    Face face{};
    face.score = std::stof(row[1]);
    face.x1 = std::stof(row[2]);
    face.y1 = std::stof(row[3]);
    face.x2 = std::stof(row[4]);
    face.y2 = std::stof(row[5]);
    for (int k = 0; k < 10; ++k) face.landmarks[k] = std::stof(row[6 + static_cast<size_t>(k)]);
    bundle.cpuFaces[row[0]].push_back(face);
  }
  return bundle;
}

// Build progress and cache news on stderr: the user waits minutes for a first build and must know why.
class PrintingObserver : public EngineObserver {
 public:
  void onEvent(const EngineEvent& e) override {
    switch (e.kind) {
      case EngineEvent::Kind::BuildStarted:
        std::fprintf(stderr, "  %s\n  -> %s\n", e.message.c_str(), e.path.c_str());
        break;
      case EngineEvent::Kind::CacheRejected:
        std::fprintf(stderr, "  cached engine rejected: %s\n", e.message.c_str());
        break;
      case EngineEvent::Kind::CacheHit: std::fprintf(stderr, "  engine from the cache: %s\n", e.path.c_str()); break;
      case EngineEvent::Kind::PhaseStarted:
        if (e.parent.empty()) std::fprintf(stderr, "  [build] %s (%d steps)\n", e.phase.c_str(), e.steps);
        break;
      case EngineEvent::Kind::BuildFinished: std::fprintf(stderr, "  built in %.1f s\n", e.seconds); break;
      case EngineEvent::Kind::CacheWritten: std::fprintf(stderr, "  engine written to %s\n", e.path.c_str()); break;
      case EngineEvent::Kind::CacheWriteFailed:
        std::fprintf(stderr, "  could not write %s: %s\n", e.path.c_str(), e.message.c_str());
        break;
      default: break;
    }
  }
};

void printTensorRtLog(int severity, const char* message) {
  std::fprintf(stderr, "  [TensorRT %s] %s\n", severity <= 1 ? "error" : "warning", message);
}

// Submits and waits; the benchmark's own thread plays the part of JS.
DetectOutcome runBatch(DetectorSession& session, const std::vector<const Image*>& images, InputSize canvas,
                       const PostprocessOptions& options) {
  DetectRequest request;
  for (const Image* image : images) request.images.push_back(image->view());
  request.canvas = canvas;
  request.options = options;
  std::promise<DetectOutcome> done;
  std::future<DetectOutcome> result = done.get_future();
  session.submit(std::move(request), [&](DetectOutcome&& outcome) { done.set_value(std::move(outcome)); });
  return result.get();
}

float iou(const Face& a, const Face& b) {
  const float w = std::max(0.0f, std::min(a.x2, b.x2) - std::max(a.x1, b.x1));
  const float h = std::max(0.0f, std::min(a.y2, b.y2) - std::max(a.y1, b.y1));
  const float inter = w * h;
  const float uni = (a.x2 - a.x1) * (a.y2 - a.y1) + (b.x2 - b.x1) * (b.y2 - b.y1) - inter;
  return uni > 0 ? inter / uni : 0.0f;
}

struct Parity {
  int cpuFaces = 0, matched = 0, borderline = 0, missing = 0, extra = 0;
  float worstIou = 1.0f, maxScoreDiff = 0.0f, maxLandmarkError = 0.0f;
  std::vector<std::string> problems;
};

// Every CPU face must have a TensorRT face at IoU >= floor; faces within `margin` of the score threshold may be
// missing on either side (a score of 0.501 on one backend and 0.499 on the other is not a disagreement).
void compare(const std::string& name, const std::vector<Face>& cpu, const std::vector<Face>& ours, float floor,
             float threshold, float margin, Parity& parity) {
  std::vector<bool> used(ours.size(), false);
  for (const Face& ref : cpu) {
    ++parity.cpuFaces;
    int best = -1;
    float bestIou = 0;
    for (size_t i = 0; i < ours.size(); ++i) {
      const float v = iou(ref, ours[i]);
      if (v > bestIou) bestIou = v, best = static_cast<int>(i);
    }
    if (best >= 0 && bestIou >= floor) {
      ++parity.matched;
      used[static_cast<size_t>(best)] = true;
      const Face& f = ours[static_cast<size_t>(best)];
      parity.worstIou = std::min(parity.worstIou, bestIou);
      parity.maxScoreDiff = std::max(parity.maxScoreDiff, std::fabs(f.score - ref.score));
      float error = 0;
      for (int k = 0; k < 5; ++k)
        error += std::hypot(f.landmarks[2 * k] - ref.landmarks[2 * k],
                            f.landmarks[2 * k + 1] - ref.landmarks[2 * k + 1]);
      parity.maxLandmarkError = std::max(parity.maxLandmarkError, error / 5);
    } else if (ref.score < threshold + margin) {
      ++parity.borderline;
    } else {
      ++parity.missing;
      parity.problems.push_back(name + ": CPU face (score " + std::to_string(ref.score) + ") best IoU " +
                                std::to_string(bestIou));
    }
  }
  for (size_t i = 0; i < ours.size(); ++i) {
    if (used[i]) continue;
    const bool overlaps = std::any_of(cpu.begin(), cpu.end(),
                                      [&](const Face& ref) { return iou(ref, ours[i]) >= 0.5f; });
    if (overlaps || ours[i].score < threshold + margin) continue;
    ++parity.extra;
    parity.problems.push_back(name + ": extra face (score " + std::to_string(ours[i].score) + ")");
  }
}

std::vector<Face> facesOf(const DetectResult& result, size_t image, size_t& offset) {
  std::vector<Face> faces(static_cast<size_t>(result.counts[image]));
  for (Face& face : faces) {
    std::copy(result.faces.begin() + static_cast<long>(offset),
              result.faces.begin() + static_cast<long>(offset + kFaceFloats), reinterpret_cast<float*>(&face));
    offset += kFaceFloats;
  }
  return faces;
}

double median(std::vector<double> values) {
  std::sort(values.begin(), values.end());
  return values.empty() ? 0 : values[values.size() / 2];
}

}  // namespace

int main(int argc, char** argv) {
  const Arguments args = parseArguments(argc, argv);
  const Bundle bundle = readBundle(args.bundle);
  int side = 640;
  std::sscanf(bundle.settings.count("input") ? bundle.settings.at("input").c_str() : "640x640", "%d", &side);
  const InputSize canvas{side, side};
  PostprocessOptions options;
  options.scoreThreshold = std::stof(bundle.settings.at("score"));
  options.nmsThreshold = std::stof(bundle.settings.at("nms"));
  options.preNmsTopK = std::stoi(bundle.settings.at("topk"));
  options.maxFaces = std::stoi(bundle.settings.at("maxfaces"));
  options.clip = bundle.settings.at("clip") == "1";

  LogRouter::instance().add(2, printTensorRtLog);  // warnings and errors
  TensorRtBackend backend;
  try {
    backend = openTensorRt(args.layerDir, args.streams + 1, 64u << 20);
  } catch (const CodedError& e) {
    die(e.what());
  }
  const Availability& availability = backend.availability;
  std::printf("TensorRT %s (layer %s, library %s)\n", availability.tensorrtVersion.c_str(),
              availability.layerPath.c_str(), availability.libraryPath.c_str());

  int passed = 0, failed = 0;
  std::ostringstream json;
  json << "[";
  for (Precision precision : args.precisions) {
    const char* name = precisionName(precision);
    const float floor = precision == Precision::Fp32 ? 0.98f : 0.95f;
    std::printf("\n== %s: engine for batch 1..%d at %dx%d, %d streams\n", name, args.batch, side, side, args.streams);
    SessionConfig config;
    const std::string model = args.bundle + "/model-" + name + ".onnx";
    std::optional<std::vector<uint8_t>> onnx = readWholeFile(model);
    if (!onnx) die("cannot read " + model);
    config.onnx = std::move(*onnx);
    config.precision = precision;
    config.profile = ShapeProfile::fixed(canvas, args.batch);
    config.workspaceBytes = static_cast<uint64_t>(args.workspaceMb) << 20;
    config.cacheDir = args.cacheDir;
    config.streams = args.streams;
    config.preNmsTopK = options.preNmsTopK;
    config.maxFaces = options.maxFaces;
    PrintingObserver observer;
    std::unique_ptr<DetectorSession> session;
    try {
      session = openSession(backend, config, &observer);
    } catch (const CodedError& e) {
      std::printf("FAIL %s: %s: %s\n", name, e.code(), e.what());
      ++failed;
      continue;
    }
    const SessionInfo& info = session->info();
    std::printf("engine: %s (%s%s), GPU %s (sm %s)\n", info.enginePath.c_str(), info.built ? "built" : "cached",
                info.built ? (", " + std::to_string(info.buildSeconds) + " s").c_str() : "", info.gpu.name.c_str(),
                info.gpu.computeCapability().c_str());

    // Parity: every photo, in full batches, against the CPU backend's faces.
    Parity parity;
    for (size_t start = 0; start < bundle.images.size(); start += static_cast<size_t>(args.batch)) {
      std::vector<const Image*> batch;
      for (size_t i = start; i < std::min(bundle.images.size(), start + static_cast<size_t>(args.batch)); ++i)
        batch.push_back(&bundle.images[i]);
      DetectOutcome outcome = runBatch(*session, batch, canvas, options);
      if (!outcome.ok) die(std::string("detection failed: ") + outcome.code + ": " + outcome.message, 1);
      size_t offset = 0;
      for (size_t i = 0; i < batch.size(); ++i) {
        const auto cpu = bundle.cpuFaces.find(batch[i]->name);
        compare(batch[i]->name, cpu == bundle.cpuFaces.end() ? std::vector<Face>{} : cpu->second,
                facesOf(outcome.result, i, offset), floor, options.scoreThreshold,
                precision == Precision::Fp32 ? 0.01f : 0.05f, parity);
      }
    }
    const bool ok = parity.missing == 0 && parity.extra == 0;
    std::printf(
        "parity vs CPU: %d/%d faces at IoU >= %.2f (worst %.4f), %d borderline, %d missing, %d extra; "
        "max score diff %.4f, max mean landmark error %.3f px\n",
        parity.matched, parity.cpuFaces, floor, parity.worstIou, parity.borderline, parity.missing, parity.extra,
        parity.maxScoreDiff, parity.maxLandmarkError);
    for (const std::string& problem : parity.problems) std::printf("  %s\n", problem.c_str());
    std::printf("%s %s parity\n", ok ? "ok  " : "FAIL", name);
    ok ? ++passed : ++failed;

    // Latency: one image at a time.
    std::vector<double> latencies;
    for (int r = 0; r < 3; ++r) {
      for (const Image& image : bundle.images) {
        const auto t0 = std::chrono::steady_clock::now();
        runBatch(*session, {&image}, canvas, options);
        latencies.push_back(std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - t0).count());
      }
    }
    // Throughput: full batches, several in flight so every stream is busy.
    std::vector<const Image*> cycle;
    for (int k = 0; k < args.batch; ++k) cycle.push_back(&bundle.images[static_cast<size_t>(k) % bundle.images.size()]);
    std::mutex mutex;
    std::condition_variable finished;
    int inFlight = 0, done = 0, errors = 0;
    const int window = 2 * args.streams;
    const auto t0 = std::chrono::steady_clock::now();
    for (int i = 0; i < args.iterations; ++i) {
      {
        std::unique_lock<std::mutex> lock(mutex);
        finished.wait(lock, [&] { return inFlight < window; });
        ++inFlight;
      }
      DetectRequest request;
      for (const Image* image : cycle) request.images.push_back(image->view());
      request.canvas = canvas;
      request.options = options;
      session->submit(std::move(request), [&](DetectOutcome&& outcome) {
        std::lock_guard<std::mutex> lock(mutex);
        --inFlight;
        ++done;
        if (!outcome.ok) ++errors;
        finished.notify_all();
      });
    }
    {
      std::unique_lock<std::mutex> lock(mutex);
      finished.wait(lock, [&] { return done == args.iterations; });
    }
    const double seconds = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
    const double imagesPerSecond = args.iterations * args.batch / seconds;
    std::printf("latency (batch 1, median of %zu): %.2f ms; throughput (batch %d, %d streams): %.0f images/s%s\n",
                latencies.size(), median(latencies), args.batch, args.streams, imagesPerSecond,
                errors ? (" (" + std::to_string(errors) + " failed batches)").c_str() : "");
    session->close(CloseMode::Drain);

    json << (json.str().size() > 1 ? "," : "") << "{\"precision\":\"" << name << "\",\"tensorrt\":\""
         << info.tensorrtVersion << "\",\"gpu\":\"" << info.gpu.name
         << "\",\"built\":" << (info.built ? "true" : "false") << ",\"buildSeconds\":" << info.buildSeconds
         << ",\"parityOk\":" << (ok ? "true" : "false") << ",\"cpuFaces\":" << parity.cpuFaces
         << ",\"matched\":" << parity.matched << ",\"borderline\":" << parity.borderline
         << ",\"worstIou\":" << parity.worstIou << ",\"maxScoreDiff\":" << parity.maxScoreDiff
         << ",\"latencyMs\":" << median(latencies) << ",\"batch\":" << args.batch << ",\"streams\":" << args.streams
         << ",\"imagesPerSecond\":" << imagesPerSecond << "}";
  }
  json << "]";
  if (!args.jsonFile.empty()) std::ofstream(args.jsonFile) << json.str() << "\n";
  std::printf("\n%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
