#include "layer_loader.h"

#include <dlfcn.h>
#include <sys/stat.h>

#include <cstdlib>

namespace retinaface::trt {

namespace {

bool fileExists(const std::string& path) {
  struct stat info{};
  return ::stat(path.c_str(), &info) == 0 && S_ISREG(info.st_mode);
}

std::string dlerrorText() {
  const char* text = ::dlerror();
  return text ? text : "unknown dlopen error";
}

}  // namespace

std::string layerFileName(int major) { return "libretinaface_trt" + std::to_string(major) + ".so"; }

std::string moduleDirectory() {
  Dl_info info{};
  if (::dladdr(reinterpret_cast<void*>(&moduleDirectory), &info) == 0 || !info.dli_fname) return ".";
  const std::string file = info.dli_fname;
  const size_t slash = file.find_last_of('/');
  return slash == std::string::npos ? "." : file.substr(0, slash);
}

std::string defaultLayerDirectory() {
  if (const char* dir = std::getenv("RETINAFACE_TRT_LAYER_DIR"); dir && *dir) return dir;
  return moduleDirectory();
}

LayerProbe loadTensorRtLayer(const std::string& directory, const std::vector<int>& majors) {
  LayerProbe probe;
  for (int major : majors) {
    LayerAttempt attempt;
    attempt.major = major;
    attempt.path = directory + "/" + layerFileName(major);
    attempt.present = fileExists(attempt.path);
    if (!attempt.present) {
      attempt.error = "not built (no " + attempt.path + ")";
      probe.attempts.push_back(attempt);
      continue;
    }
    // RTLD_LOCAL: two layers may both be loaded; their TensorRT symbols must not meet.
    void* handle = ::dlopen(attempt.path.c_str(), RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      attempt.error = "cannot be opened: " + dlerrorText();
      probe.attempts.push_back(attempt);
      continue;
    }
    auto entry = reinterpret_cast<RfTrtGetApiFn>(::dlsym(handle, RFTRT_ENTRY_POINT));
    if (!entry) {
      attempt.error = std::string("is not a TensorRT layer (no ") + RFTRT_ENTRY_POINT + ")";
      ::dlclose(handle);
      probe.attempts.push_back(attempt);
      continue;
    }
    RfTrtError error{};
    const RfTrtApi* api = entry(RFTRT_ABI_VERSION, &error);
    if (!api || api->abiVersion != RFTRT_ABI_VERSION) {
      attempt.error = api ? "speaks another ABI version" : error.message;
      ::dlclose(handle);
      probe.attempts.push_back(attempt);
      continue;
    }
    probe.attempts.push_back(attempt);
    probe.api = api;
    probe.major = major;
    probe.path = attempt.path;
    return probe;  // the handle stays open on purpose
  }
  return probe;
}

}  // namespace retinaface::trt
