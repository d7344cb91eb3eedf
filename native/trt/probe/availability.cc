#include "availability.h"

namespace retinaface::trt {

namespace {

std::string join(const std::vector<std::string>& parts, const char* separator) {
  std::string text;
  for (const std::string& part : parts) text += (text.empty() ? "" : separator) + part;
  return text;
}

const LayerAttempt* attemptFor(const LayerProbe& layer, int major) {
  for (const LayerAttempt& attempt : layer.attempts) {
    if (attempt.major == major) return &attempt;
  }
  return nullptr;
}

}  // namespace

std::string tensorRtVersionText(int version) {
  return std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." +
         std::to_string(version % 100);
}

Availability explainAvailability(const AvailabilityFacts& facts) {
  Availability result;
  result.layers = facts.layer.attempts;
  std::vector<std::string> problems;
  const auto missing = [&](const char* piece, const std::string& problem) {
    result.missing.push_back(piece);
    problems.push_back(problem);
  };

  if (facts.layer.api) {
    result.major = facts.layer.major;
    result.layerPath = facts.layer.path;
    result.tensorrtVersion = tensorRtVersionText(facts.layer.api->libraryVersion);
    result.libraryPath = facts.layer.api->libraryPath ? facts.layer.api->libraryPath : "";
  } else {
    // Which TensorRT generations are installed, and what each one's layer said.
    std::vector<std::string> absent, layerProblems, libraryProblems;
    bool anyLibrary = false;
    for (const LibraryProbe& library : facts.libraries) {
      const int major = std::stoi(library.name.substr(library.name.find_last_of('.') + 1));
      if (!library.loadable) {
        absent.push_back(library.name);
        continue;
      }
      anyLibrary = true;
      const LayerAttempt* attempt = attemptFor(facts.layer, major);
      if (!attempt || !attempt->present) {
        layerProblems.push_back("this build has no TensorRT " + std::to_string(major) + " layer (" +
                                layerFileName(major) + " is not next to the addon; build it with " +
                                "-DRETINAFACE_TENSORRT_" + std::to_string(major) + "_INCLUDE=<TensorRT include dir>)");
      } else {
        libraryProblems.push_back("the TensorRT " + std::to_string(major) + " layer failed: " + attempt->error);
      }
    }
    if (!anyLibrary) {
      missing("tensorrt-library", "no TensorRT library (" + join(absent, " / ") +
                                      " not found; install TensorRT 10.x or 11.x and put its lib folder on "
                                      "LD_LIBRARY_PATH or in RETINAFACE_TENSORRT_LIB_DIR)");
    } else if (!libraryProblems.empty()) {
      missing("tensorrt-library", join(libraryProblems, "; "));
    } else {
      missing("tensorrt-layer", join(layerProblems, "; "));
    }
  }

  if (!facts.driver.loaded) {
    missing("nvidia-driver", "no NVIDIA driver (" + facts.driver.error + ")");
  } else if (facts.driver.deviceCount == 0) {
    missing("gpu",
            "no CUDA GPU (" + (facts.driver.error.empty() ? std::string("none found") : facts.driver.error) + ")");
  }
  if (!facts.cudaKernels) {
    missing("cuda-kernels", "this addon was compiled without CUDA (no nvcc at build time), so it has no GPU kernels");
  }

  result.available = problems.empty();
  if (!result.available) result.reason = "TensorRT cannot run here: " + join(problems, "; ");
  return result;
}

Availability probeAvailability(const std::string& layerDirectory, bool cudaKernels) {
  AvailabilityFacts facts;
  facts.cudaKernels = cudaKernels;
  facts.layer = loadTensorRtLayer(layerDirectory);
  if (!facts.layer.api) {
    for (int major : supportedTensorRtMajors())
      facts.libraries.push_back(probeLibrary("libnvinfer.so." + std::to_string(major)));
  }
  facts.driver = probeNvidiaDriver();
  return explainAvailability(facts);
}

}  // namespace retinaface::trt
