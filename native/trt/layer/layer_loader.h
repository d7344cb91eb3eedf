// Finds and opens the TensorRT layer library: libretinaface_trt11.so, then libretinaface_trt10.so, from the
// addon's own folder (or RETINAFACE_TRT_LAYER_DIR). The first whose API table comes up wins; a layer that loads but
// cannot open its libnvinfer.so.N says so. Plain C++ with dlopen: also compiled into the CPU-only addon, for the probe.
#pragma once
#include <string>
#include <vector>

#include "layer_api.h"

namespace retinaface::trt {

struct LayerAttempt {
  int major = 0;
  std::string path;  // the layer file looked for
  bool present = false;  // the file exists
  std::string error;  // why it is not usable (empty when it loaded)
};

struct LayerProbe {
  const RfTrtApi* api = nullptr;  // nullptr: no layer usable
  int major = 0;
  std::string path;
  std::vector<LayerAttempt> attempts;  // every layer tried, in order
};

inline const std::vector<int>& supportedTensorRtMajors() {
  static const std::vector<int> majors = {11, 10};  // newest first
  return majors;
}

std::string layerFileName(int major);  // "libretinaface_trt10.so"

// The folder holding the module this code is linked into (the .node addon, or the benchmark executable).
std::string moduleDirectory();

// The folder to search: $RETINAFACE_TRT_LAYER_DIR if set, else moduleDirectory().
std::string defaultLayerDirectory();

// Opens layers until one works. Loaded layers stay loaded for the life of the process (dlopen is reference
// counted, so probing again is cheap); failed ones are closed.
LayerProbe loadTensorRtLayer(const std::string& directory, const std::vector<int>& majors = supportedTensorRtMajors());

}  // namespace retinaface::trt
