// Can the TensorRT backend run here, and if not, what exactly is missing (library, driver, GPU, or a piece of this
// build)? The facts are gathered by probes; turning them into one answer is a pure function, tested on its own.
#pragma once
#include <string>
#include <vector>

#include "system_probe.h"
#include "trt/layer/layer_loader.h"

namespace retinaface::trt {

struct AvailabilityFacts {
  bool cudaKernels = false;  // this addon was compiled with the CUDA kernels
  DriverProbe driver;
  LayerProbe layer;
  std::vector<LibraryProbe> libraries;  // libnvinfer.so.N per supported major; probed only when no layer loaded
};

struct Availability {
  bool available = false;
  std::string reason;                 // one sentence naming every missing piece; empty when available
  std::vector<std::string> missing;   // "tensorrt-library", "nvidia-driver", "gpu", "tensorrt-layer", "cuda-kernels"
  std::string tensorrtVersion;        // of the library the layer loaded, e.g. "10.16.0"
  int major = 0;
  std::string layerPath, libraryPath;
  std::vector<LayerAttempt> layers;   // every layer file looked for, in order, and what it said
};

Availability explainAvailability(const AvailabilityFacts& facts);

// Gathers the facts (dlopen of the layers, libcuda.so.1, libnvinfer.so.N) and explains them.
Availability probeAvailability(const std::string& layerDirectory, bool cudaKernels);

std::string tensorRtVersionText(int version);  // 101600 -> "10.16.0"

}  // namespace retinaface::trt
