#include "tensorrt_library.h"

#include <dirent.h>
#include <dlfcn.h>

#include <NvInferVersion.h>

#include <cstdlib>
#include <mutex>

namespace retinaface::trt::layer {

namespace {

#define RF_STRINGIFY2(x) #x
#define RF_STRINGIFY(x) RF_STRINGIFY2(x)
constexpr const char* kInferName = "libnvinfer.so." RF_STRINGIFY(NV_TENSORRT_MAJOR);
constexpr const char* kParserName = "libnvonnxparser.so." RF_STRINGIFY(NV_TENSORRT_MAJOR);
constexpr int32_t kCompiledVersion = NV_TENSORRT_MAJOR * 10000 + NV_TENSORRT_MINOR * 100 + NV_TENSORRT_PATCH;

std::string versionText(int32_t version) {
  return std::to_string(version / 10000) + "." + std::to_string(version / 100 % 100) + "." +
         std::to_string(version % 100);
}

// $RETINAFACE_TENSORRT_LIB_DIR/<name>, then <name> through the dynamic loader's usual search. Handles are never
// closed: TensorRT objects may live until process exit.
void* openLibrary(const char* name, std::string& error) {
  if (const char* dir = std::getenv("RETINAFACE_TENSORRT_LIB_DIR"); dir && *dir) {
    if (void* handle = ::dlopen((std::string(dir) + "/" + name).c_str(), RTLD_NOW | RTLD_LOCAL)) return handle;
  }
  void* handle = ::dlopen(name, RTLD_NOW | RTLD_LOCAL);
  if (!handle) {
    const char* why = ::dlerror();
    error = std::string(name) + " could not be loaded (" + (why ? why : "unknown error") + ")";
  }
  return handle;
}

// libnvinfer dlopens libnvinfer_builder_resource*.so* by bare name when it builds (no $ORIGIN since TensorRT 8.4,
// NVIDIA/TensorRT#2218), so a TensorRT folder that is not on the loader's path can deserialize but not build.
// Loading them first from libnvinfer's own folder makes that bare-name dlopen find them by soname, as NVIDIA's
// tensorrt_libs/__init__.py does for the pip wheel. Never closed.
void preloadBuilderResources(const std::string& folder) {
  DIR* dir = ::opendir(folder.c_str());
  if (!dir) return;
  while (const dirent* entry = ::readdir(dir)) {
    const std::string name = entry->d_name;
    if (name.rfind("libnvinfer_builder_resource", 0) == 0 && name.find(".so") != std::string::npos)
      ::dlopen((folder + "/" + name).c_str(), RTLD_NOW | RTLD_LOCAL);
  }
  ::closedir(dir);
}

template <typename Fn>
bool resolve(void* handle, const char* symbol, Fn& out, std::string& error) {
  out = reinterpret_cast<Fn>(::dlsym(handle, symbol));
  if (!out) error = std::string("symbol ") + symbol + " is missing from the TensorRT library";
  return out != nullptr;
}

TensorRtLibrary* load(std::string& error) {
  void* infer = openLibrary(kInferName, error);
  if (!infer) return nullptr;
  void* parser = openLibrary(kParserName, error);
  if (!parser) return nullptr;
  auto* library = new TensorRtLibrary();
  TensorRtLibrary::VersionFn inferVersion = nullptr;
  TensorRtLibrary::ParserVersionFn parserVersion = nullptr;
  if (!resolve(infer, "createInferBuilder_INTERNAL", library->createInferBuilder, error) ||
      !resolve(infer, "createInferRuntime_INTERNAL", library->createInferRuntime, error) ||
      !resolve(infer, "getInferLibVersion", inferVersion, error) ||
      !resolve(parser, "createNvOnnxParser_INTERNAL", library->createOnnxParser, error) ||
      !resolve(parser, "getNvOnnxParserVersion", parserVersion, error)) {
    delete library;
    return nullptr;
  }
  library->libraryVersion = inferVersion();
  library->parserVersion = parserVersion();
  Dl_info info{};
  library->libraryPath = ::dladdr(reinterpret_cast<void*>(inferVersion), &info) && info.dli_fname ? info.dli_fname
                                                                                                  : kInferName;
  const size_t slash = library->libraryPath.find_last_of('/');
  if (slash != std::string::npos) preloadBuilderResources(library->libraryPath.substr(0, slash));
  // Within a major version the ABI only grows: a library older than the headers may lack what the layer calls.
  if (library->libraryVersion / 10000 != NV_TENSORRT_MAJOR || library->libraryVersion < kCompiledVersion) {
    error = library->libraryPath + " is TensorRT " + versionText(library->libraryVersion) + ", but this layer was " +
            "compiled against the " + versionText(kCompiledVersion) + " headers and needs that version or a later " +
            std::to_string(NV_TENSORRT_MAJOR) + ".x";
    delete library;
    return nullptr;
  }
  return library;
}

}  // namespace

const TensorRtLibrary* tensorRtLibrary(std::string& error) {
  static std::once_flag once;
  static const TensorRtLibrary* library = nullptr;
  static std::string loadError;
  std::call_once(once, [] { library = load(loadError); });
  if (!library) error = loadError;
  return library;
}

}  // namespace retinaface::trt::layer
