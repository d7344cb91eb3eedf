// One builder per engine across processes: several replicas sharing an engine cache folder and starting together
// take an advisory lock (flock) on <engine file>.lock before building. The first builds; the others wait, bounded,
// then find the engine in the cache. flock dies with its holder, so a crashed builder leaves no stale lock; the
// holder removes the file when done.
#pragma once
#include <string>

namespace retinaface::trt {

class EngineBuildLock {
 public:
  // Does not block. acquired() false: another process holds it (or the folder cannot hold a lock file).
  explicit EngineBuildLock(const std::string& path);
  ~EngineBuildLock();
  EngineBuildLock(const EngineBuildLock&) = delete;
  EngineBuildLock& operator=(const EngineBuildLock&) = delete;

  bool acquired() const { return held_; }
  bool usable() const { return fd_ >= 0; }  // false: no lock file could be opened; build without one
  // Waits up to `seconds` for the holder to finish; true when acquired.
  bool waitFor(double seconds);

 private:
  std::string path_;
  int fd_ = -1;
  bool held_ = false;
};

// $RETINAFACE_ENGINE_LOCK_WAIT_S, else 1800: how long a process waits for another one's build.
double engineLockWaitSeconds();

}  // namespace retinaface::trt
