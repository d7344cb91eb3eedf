// One background thread that runs tasks in the order they were posted.
//
// The addon letterboxes on such a thread rather than on libuv's pool, which sharp needs for decoding, and at a
// lower scheduling priority than the JS thread: on the CPU backend onnxruntime runs on the JS thread and its
// workers spin between inferences, so a letterbox started just before an inference must not hold up the JS thread
// on its way to that inference. It still gets its share of the cores during the inference, where it overlaps.
#pragma once
#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>

namespace retinaface {

class WorkThread {
 public:
  // niceIncrement > 0 lowers the thread's priority by that much (Linux; elsewhere, and if refused, it is ignored).
  explicit WorkThread(int niceIncrement = 0);
  // Lets the running task finish, drops the queued ones unrun, and joins the thread.
  ~WorkThread();
  WorkThread(const WorkThread&) = delete;
  WorkThread& operator=(const WorkThread&) = delete;

  void post(std::function<void()> task);

  // Whether lowering the priority took effect (after the thread started; false until then).
  bool lowered() const;

 private:
  void loop(int niceIncrement);

  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  bool lowered_ = false;
  std::thread thread_;
};

}  // namespace retinaface
