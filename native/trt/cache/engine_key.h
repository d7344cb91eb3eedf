// The engine cache key: everything a serialized TensorRT engine depends on. Two requests with equal keys may share
// one engine file; any difference (another ONNX, TensorRT build, GPU, precision or profile) needs its own.
#pragma once
#include <cstdint>
#include <string>

#include "trt/engine/engine_spec.h"

namespace retinaface::trt {

struct EngineCacheKey {
  std::string onnxSha256;         // of the exact ONNX bytes handed to the parser (FP16 twin / QDQ model)
  std::string tensorrtVersion;    // of the loaded libnvinfer, e.g. "10.16.0"; plans are not portable across builds
  // What tells two builds of one TensorRT version apart (a CUDA 12 and a CUDA 13 build of 10.x): the CUDA major
  // when the library's path names it, and the library file's size (EngineRuntime::buildIdentity()).
  std::string tensorrtBuild;
  std::string gpuUuid;            // e.g. "GPU-5c3f...": tactics are timed on this very card
  std::string computeCapability;  // e.g. "8.9"; also in the file name, for people browsing the cache
  Precision precision = Precision::Fp16;
  ShapeProfile profile;
  uint64_t workspaceBytes = 0;    // the builder's workspace limit changes which tactics it may pick
  std::string builderFlags;       // builderFlagsText(precision): the flags the layer builds with

  // One "name=value" line per field, in a fixed order; stored in the engine file's header and compared verbatim.
  std::string canonical() const;
  // sha256 of canonical(), hex.
  std::string digest() const;
  // "retinaface-fp16-640x640-b8-sm89-<16 hex digits of digest>.engine"
  std::string fileName() const;
};

// The builder flags the layers set for a precision, with a version bumped whenever they change (so engines built
// with other flags are never reused): "flags-2 strongly-typed" (fp16) / "flags-2 strongly-typed no-tf32" (fp32, int8).
std::string builderFlagsText(Precision precision);

// Timing caches are shared by every engine built with one TensorRT version on one GPU.
std::string timingCacheFileName(const std::string& tensorrtVersion, const std::string& gpuUuid);

}  // namespace retinaface::trt
