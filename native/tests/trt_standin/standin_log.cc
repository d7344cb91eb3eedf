#include <fcntl.h>
#include <unistd.h>

#include <NvInferVersion.h>

#include <cstdio>
#include <cstdlib>
#include <string>

#include "standin.h"

[[noreturn]] void standinUnimplemented(const char* method) noexcept {
  standin::record(std::string("UNIMPLEMENTED ") + method);
  std::fprintf(stderr,
               "TensorRT stand-in: %s is not implemented; the layer called something the stand-in does not "
               "cover (implement it in native/tests/trt_standin)\n",
               method);
  std::abort();
}

namespace standin {

void record(const std::string& line) {
  const char* path = std::getenv("RETINAFACE_STANDIN_LOG");
  if (!path || !*path) return;
  const int fd = ::open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
  if (fd < 0) return;
  const std::string text = line + "\n";
  (void)!::write(fd, text.data(), text.size());  // one write per line: lines from threads and processes never mix
  ::close(fd);
}

std::string env(const char* name, const char* fallback) {
  const char* value = std::getenv(name);
  return value && *value ? value : fallback;
}

int64_t envInt(const char* name, int64_t fallback) {
  const char* value = std::getenv(name);
  return value && *value ? std::strtoll(value, nullptr, 10) : fallback;
}

int32_t libraryVersion() {
  return static_cast<int32_t>(
      envInt("RETINAFACE_STANDIN_VERSION", NV_TENSORRT_MAJOR * 10000 + NV_TENSORRT_MINOR * 100 + NV_TENSORRT_PATCH));
}

}  // namespace standin
