#include "work_thread.h"

#ifdef __linux__
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

namespace retinaface {

namespace {

// Linux applies nice values per thread: PRIO_PROCESS with a thread id changes only that thread.
bool lowerThisThread(int increment) {
#ifdef __linux__
  if (increment <= 0) return false;
  const auto tid = static_cast<id_t>(syscall(SYS_gettid));
  return setpriority(PRIO_PROCESS, tid, getpriority(PRIO_PROCESS, tid) + increment) == 0;
#else
  (void)increment;
  return false;
#endif
}

}  // namespace

WorkThread::WorkThread(int niceIncrement) : thread_([this, niceIncrement] { loop(niceIncrement); }) {}

WorkThread::~WorkThread() {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    stopping_ = true;
    tasks_.clear();
  }
  wake_.notify_one();
  thread_.join();
}

void WorkThread::post(std::function<void()> task) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  wake_.notify_one();
}

bool WorkThread::lowered() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return lowered_;
}

void WorkThread::loop(int niceIncrement) {
  const bool lowered = lowerThisThread(niceIncrement);
  std::unique_lock<std::mutex> lock(mutex_);
  lowered_ = lowered;
  for (;;) {
    wake_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
    if (stopping_) return;
    std::function<void()> task = std::move(tasks_.front());
    tasks_.pop_front();
    lock.unlock();
    task();
    task = nullptr;  // its captures go before the next wait
    lock.lock();
  }
}

}  // namespace retinaface
