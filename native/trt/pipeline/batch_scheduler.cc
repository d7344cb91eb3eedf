#include "batch_scheduler.h"

#include <exception>
#include <stdexcept>
#include <string>

#include "core/coded_error.h"

namespace retinaface::trt {

namespace {

DetectOutcome runGuarded(Lane& lane, const DetectRequest& request) {
  try {
    return DetectOutcome::success(lane.run(request));
  } catch (const CodedError& e) {
    return DetectOutcome::failure(e.code(), e.what());
  } catch (const std::bad_alloc&) {
    return DetectOutcome::failure(codes::kNativeError, "out of host memory");
  } catch (const std::exception& e) {
    return DetectOutcome::failure(codes::kInferenceFailed, e.what());
  }
}

// The scheduler whose lane runs on this thread, if any. Not thread ids: an id is reused once its thread is joined,
// so a closer created after the lanes ended could be taken for one of them (and refused).
thread_local const BatchScheduler* laneOwner = nullptr;

DetectOutcome closedOutcome() {
  return DetectOutcome::failure(codes::kDetectorClosed, "the detector was closed before this batch ran");
}

}  // namespace

BatchScheduler::BatchScheduler(std::vector<std::unique_ptr<Lane>> lanes)
    : laneCount_(static_cast<int>(lanes.size())), lanes_(std::move(lanes)) {
  if (lanes_.empty()) throw std::invalid_argument("a scheduler needs at least one lane");
  threads_.reserve(lanes_.size());
  try {
    for (const std::unique_ptr<Lane>& lane : lanes_) {
      threads_.emplace_back(&BatchScheduler::laneLoop, this, lane.get());
    }
  } catch (...) {
    close(CloseMode::CancelQueued);
    throw;
  }
}

BatchScheduler::~BatchScheduler() { close(CloseMode::CancelQueued); }

void BatchScheduler::complete(Job& job, DetectOutcome&& outcome) noexcept {
  try {
    job.done(std::move(outcome));
  } catch (...) {
    // A completion that throws has nowhere to report to; the lane must keep running.
  }
}

void BatchScheduler::submit(DetectRequest request, DetectCompletion done) {
  Job job{std::move(request), std::move(done)};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!closing_) {
      queue_.push_back(std::move(job));
      wake_.notify_one();
      return;
    }
  }
  complete(job, closedOutcome());
}

void BatchScheduler::laneLoop(Lane* lane) {
  laneOwner = this;
  for (;;) {
    Job job;
    {
      std::unique_lock<std::mutex> lock(mutex_);
      wake_.wait(lock, [&] { return !queue_.empty() || closing_; });
      if (queue_.empty()) return;  // closing, and nothing left to drain
      job = std::move(queue_.front());
      queue_.pop_front();
      ++running_;
    }
    DetectOutcome outcome = runGuarded(*lane, job.request);
    complete(job, std::move(outcome));
    std::lock_guard<std::mutex> lock(mutex_);
    --running_;
  }
}

void BatchScheduler::close(CloseMode mode) {
  if (laneOwner == this) throw std::logic_error("BatchScheduler::close() called from one of its lane threads");
  std::deque<Job> cancelled;
  {
    std::lock_guard<std::mutex> lock(mutex_);
    closing_ = true;
    if (mode == CloseMode::CancelQueued) cancelled.swap(queue_);
  }
  wake_.notify_all();
  for (Job& job : cancelled) complete(job, closedOutcome());

  std::lock_guard<std::mutex> joinLock(joinMutex_);
  if (joined_) return;
  for (std::thread& thread : threads_) {
    if (thread.joinable()) thread.join();
  }
  lanes_.clear();  // contexts, buffers and streams go now, not whenever the owner is destroyed
  joined_ = true;
}

size_t BatchScheduler::queued() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return queue_.size();
}

int BatchScheduler::running() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return running_;
}

}  // namespace retinaface::trt
