// libnvinfer.so.N and libnvonnxparser.so.N, opened at run time (N = the major version this layer was compiled
// for), and the C entry points TensorRT's inline factory functions call. Nothing here links against TensorRT, so
// the layer loads (and says what is missing) on machines without it.
#pragma once
#include <cstdint>
#include <string>

namespace retinaface::trt::layer {

struct TensorRtLibrary {
  using CreateFn = void* (*)(void* logger, int32_t version);
  using CreateParserFn = void* (*)(void* network, void* logger, int version);
  using VersionFn = int32_t (*)();
  using ParserVersionFn = int (*)();

  CreateFn createInferBuilder = nullptr;  // createInferBuilder_INTERNAL
  CreateFn createInferRuntime = nullptr;  // createInferRuntime_INTERNAL
  CreateParserFn createOnnxParser = nullptr;  // createNvOnnxParser_INTERNAL
  int32_t libraryVersion = 0;   // getInferLibVersion(), e.g. 101600
  int32_t parserVersion = 0;    // getNvOnnxParserVersion()
  std::string libraryPath;      // the libnvinfer file that was opened
};

// Opens the libraries once per process ($RETINAFACE_TENSORRT_LIB_DIR first when set, then the loader's search
// path) and checks that the library is not older than the headers. nullptr with `error` set when unusable.
const TensorRtLibrary* tensorRtLibrary(std::string& error);

}  // namespace retinaface::trt::layer
