#include "file_io.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <atomic>
#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>

namespace retinaface::trt {

namespace {

std::runtime_error ioError(const std::string& what, const std::string& path) {
  return std::runtime_error(what + " '" + path + "': " + std::strerror(errno));
}

std::string parentOf(const std::string& path) {
  const size_t slash = path.find_last_of('/');
  if (slash == std::string::npos) return ".";
  return slash == 0 ? "/" : path.substr(0, slash);
}

// Unique per process, call and moment, so concurrent writers (threads or processes) never share a temp file.
std::string tempNameFor(const std::string& path) {
  static std::atomic<unsigned> counter{0};
  const auto now = std::chrono::steady_clock::now().time_since_epoch().count();
  const size_t slash = path.find_last_of('/');
  const std::string dir = slash == std::string::npos ? "" : path.substr(0, slash + 1);
  const std::string name = slash == std::string::npos ? path : path.substr(slash + 1);
  return dir + "." + name + "." + std::to_string(getpid()) + "." + std::to_string(counter++) + "." +
         std::to_string(static_cast<unsigned long long>(now) % 1000000007ULL) + ".part";
}

}  // namespace

std::optional<std::vector<uint8_t>> readWholeFile(const std::string& path) {
  const int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) return std::nullopt;
  std::vector<uint8_t> data;
  struct stat info{};
  if (::fstat(fd, &info) == 0 && info.st_size > 0) data.reserve(static_cast<size_t>(info.st_size));
  uint8_t chunk[1 << 16];
  for (;;) {
    const ssize_t n = ::read(fd, chunk, sizeof(chunk));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      ::close(fd);
      return std::nullopt;
    }
    if (n == 0) break;
    data.insert(data.end(), chunk, chunk + n);
  }
  ::close(fd);
  return data;
}

void createDirectories(const std::string& path) {
  if (path.empty() || path == "/" || path == ".") return;
  struct stat info{};
  if (::stat(path.c_str(), &info) == 0) {
    if (!S_ISDIR(info.st_mode)) {
      errno = ENOTDIR;
      throw ioError("cannot create folder", path);
    }
    return;
  }
  createDirectories(parentOf(path));
  if (::mkdir(path.c_str(), 0755) != 0 && errno != EEXIST) throw ioError("cannot create folder", path);
}

void writeFileAtomically(const std::string& path, const uint8_t* data, size_t size) {
  createDirectories(parentOf(path));
  const std::string temp = tempNameFor(path);
  const int fd = ::open(temp.c_str(), O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0644);
  if (fd < 0) throw ioError("cannot create", temp);
  size_t written = 0;
  while (written < size) {
    const ssize_t n = ::write(fd, data + written, size - written);
    if (n < 0 && errno == EINTR) continue;
    if (n < 0) {
      const std::runtime_error error = ioError("cannot write", temp);
      ::close(fd);
      ::unlink(temp.c_str());
      throw error;
    }
    written += static_cast<size_t>(n);
  }
  // Data must be on disk before the rename makes it visible, or a crash could publish an empty engine file.
  if (::fsync(fd) != 0 || ::close(fd) != 0) {
    const std::runtime_error error = ioError("cannot flush", temp);
    ::unlink(temp.c_str());
    throw error;
  }
  if (::rename(temp.c_str(), path.c_str()) != 0) {
    const std::runtime_error error = ioError("cannot rename into place", path);
    ::unlink(temp.c_str());
    throw error;
  }
}

}  // namespace retinaface::trt
