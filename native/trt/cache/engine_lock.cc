#include "engine_lock.h"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include <chrono>
#include <cstdlib>
#include <thread>

namespace retinaface::trt {

EngineBuildLock::EngineBuildLock(const std::string& path) : path_(path) {
  fd_ = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd_ >= 0) held_ = ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
}

EngineBuildLock::~EngineBuildLock() {
  if (fd_ < 0) return;
  if (held_) {
    // Removed by its holder (the engine is written by now, or the build failed), while still locked, and only if the
    // name still refers to this file: whoever opened it meanwhile re-checks the cache once it gets the lock.
    struct stat mine{}, named{};
    if (::fstat(fd_, &mine) == 0 && ::stat(path_.c_str(), &named) == 0 && mine.st_dev == named.st_dev &&
        mine.st_ino == named.st_ino)
      ::unlink(path_.c_str());
    ::flock(fd_, LOCK_UN);
  }
  ::close(fd_);
}

bool EngineBuildLock::waitFor(double seconds) {
  if (fd_ < 0) return false;
  const auto deadline = std::chrono::steady_clock::now() + std::chrono::duration<double>(seconds);
  while (!held_) {
    held_ = ::flock(fd_, LOCK_EX | LOCK_NB) == 0;
    if (held_ || std::chrono::steady_clock::now() >= deadline) break;
    std::this_thread::sleep_for(std::chrono::milliseconds(50));
  }
  return held_;
}

double engineLockWaitSeconds() {
  const char* text = std::getenv("RETINAFACE_ENGINE_LOCK_WAIT_S");
  if (text && *text) {
    char* end = nullptr;
    const double value = std::strtod(text, &end);
    if (end != text && value >= 0) return value;
  }
  return 1800;
}

}  // namespace retinaface::trt
