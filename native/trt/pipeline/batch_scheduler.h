// Runs batches on a small pool of lanes, one native thread per lane: batches start in submission order, each on the
// first free lane, and a lane thread does the one blocking wait of its batch (never the libuv pool). Completions run
// on the lane thread; the N-API shell forwards them to JS through a thread-safe function.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>
#include <vector>

#include "detect_request.h"
#include "lane.h"

namespace retinaface::trt {

// Runs exactly once per submitted request. Must not call close() (it runs on a lane thread that close() joins).
using DetectCompletion = std::function<void(DetectOutcome&&)>;

enum class CloseMode {
  Drain,         // batches already queued still run (close() from the API)
  CancelQueued,  // queued batches fail with DETECTOR_CLOSED, only running ones finish (process exit)
};

class BatchScheduler {
 public:
  explicit BatchScheduler(std::vector<std::unique_ptr<Lane>> lanes);
  ~BatchScheduler();  // close(CancelQueued)
  BatchScheduler(const BatchScheduler&) = delete;
  BatchScheduler& operator=(const BatchScheduler&) = delete;

  // Queues the batch. After close() began, `done` runs at once on the caller's thread with DETECTOR_CLOSED.
  void submit(DetectRequest request, DetectCompletion done);

  // Stops taking work, lets running batches (and with Drain the queued ones) finish, joins the lane threads and
  // frees the lanes. Blocks; idempotent; callable from several threads at once (a later CancelQueued cancels what
  // an earlier Drain still had queued). Throws std::logic_error from a lane thread.
  void close(CloseMode mode);

  size_t queued() const;
  int running() const;
  int laneCount() const { return laneCount_; }

 private:
  struct Job {
    DetectRequest request;
    DetectCompletion done;
  };
  void laneLoop(Lane* lane);
  static void complete(Job& job, DetectOutcome&& outcome) noexcept;

  const int laneCount_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<Job> queue_;
  bool closing_ = false;
  int running_ = 0;

  std::mutex joinMutex_;  // held by the one close() that joins; later calls wait on it
  bool joined_ = false;
  std::vector<std::unique_ptr<Lane>> lanes_;
  std::vector<std::thread> threads_;
};

}  // namespace retinaface::trt
