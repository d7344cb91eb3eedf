#include "engine_key.h"

#include <algorithm>
#include <sstream>

#include "sha256.h"

namespace retinaface::trt {

namespace {

// Keeps file names portable: anything but [A-Za-z0-9.-] becomes '_'.
std::string fileSafe(const std::string& text) {
  std::string safe = text;
  for (char& c : safe) {
    const bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' || c == '-';
    if (!ok) c = '_';
  }
  return safe;
}

std::string size(InputSize s) { return std::to_string(s.width) + "x" + std::to_string(s.height); }

}  // namespace

std::string EngineCacheKey::canonical() const {
  std::ostringstream text;
  text << "format=retinaface-engine-key-2\n"
       << "onnx_sha256=" << onnxSha256 << "\n"
       << "tensorrt=" << tensorrtVersion << "\n"
       << "tensorrt_build=" << tensorrtBuild << "\n"
       << "gpu_uuid=" << gpuUuid << "\n"
       << "compute_capability=" << computeCapability << "\n"
       << "precision=" << precisionName(precision) << "\n"
       << "batch=1.." << profile.maxBatch << " opt " << profile.optBatch << "\n"
       << "input_min=" << size(profile.min) << "\n"
       << "input_opt=" << size(profile.opt) << "\n"
       << "input_max=" << size(profile.max) << "\n"
       << "workspace_bytes=" << workspaceBytes << "\n"
       << "builder_flags=" << builderFlags << "\n";
  return text.str();
}

std::string EngineCacheKey::digest() const {
  const std::string text = canonical();
  return sha256Hex(text.data(), text.size());
}

std::string EngineCacheKey::fileName() const {
  std::string sm = computeCapability;
  sm.erase(std::remove(sm.begin(), sm.end(), '.'), sm.end());
  const std::string sizes = profile.fixedSize() ? size(profile.opt) : size(profile.min) + "-" + size(profile.max);
  return fileSafe("retinaface-" + std::string(precisionName(precision)) + "-" + sizes + "-b" +
                  std::to_string(profile.maxBatch) + "-sm" + sm + "-" + digest().substr(0, 16)) +
         ".engine";
}

std::string builderFlagsText(Precision precision) {
  // Bump kFlagsVersion whenever native/trt/layer_library/engine_builder.cc changes the flags or config it builds with.
  constexpr int kFlagsVersion = 2;
  // int8 builds with fp32's flags: the QDQ ONNX's float layers stay float32, its Q/DQ nodes make the INT8 ones.
  const bool noTf32 = precision == Precision::Fp32 || precision == Precision::Int8;
  return "flags-" + std::to_string(kFlagsVersion) + " strongly-typed" + (noTf32 ? " no-tf32" : "");
}

std::string timingCacheFileName(const std::string& tensorrtVersion, const std::string& gpuUuid) {
  return fileSafe("timing-trt" + tensorrtVersion + "-" + gpuUuid) + ".cache";
}

}  // namespace retinaface::trt
