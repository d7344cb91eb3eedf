// The bookkeeping of a pool of reusable buffers ("slots") whose contents are read by asynchronous work: a slot goes
// Free -> Held (one owner fills it and enqueues work that reads it) -> InFlight (work enqueued, fence armed) -> Free
// again only once its fence says that work has finished. The fence is an interface so that the CUDA pool plugs in
// a cudaEvent and the CPU tests a fake one; this header needs neither CUDA nor a GPU.
#pragma once
#include <condition_variable>
#include <cstddef>
#include <deque>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <vector>

namespace retinaface::cuda {

// Marks the end of the asynchronous work that reads one slot. Armed by the owner before submit(); may be polled and
// waited on from any thread, also while it is being re-armed for a later use (a waiter then just waits longer).
class SlotFence {
 public:
  virtual ~SlotFence() = default;
  virtual bool reached() = 0;  // non-blocking
  virtual void wait() = 0;     // blocks until reached
};

enum class SlotState { Free, Held, InFlight, Retired };

class SlotPool {
 public:
  explicit SlotPool(std::vector<std::unique_ptr<SlotFence>> fences) : fences_(std::move(fences)) {
    if (fences_.empty()) throw std::invalid_argument("a slot pool needs at least one slot");
    states_.assign(fences_.size(), SlotState::Free);
    for (size_t i = 0; i < fences_.size(); ++i) free_.push_back(static_cast<int>(i));
  }
  SlotPool(const SlotPool&) = delete;
  SlotPool& operator=(const SlotPool&) = delete;

  size_t size() const { return fences_.size(); }

  // A Free slot, or an InFlight one whose fence was reached; nullopt when every slot is busy.
  std::optional<int> tryAcquire() {
    std::lock_guard<std::mutex> lock(mutex_);
    return takeLocked();
  }

  // Blocks until a slot can be handed out: waits on the oldest InFlight fence (outside the lock) or, when every
  // usable slot is Held by someone else, until one is released or submitted. Throws when every slot is Retired.
  int acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    for (;;) {
      if (std::optional<int> slot = takeLocked()) return *slot;
      if (!inFlight_.empty()) {
        SlotFence* oldest = fences_[static_cast<size_t>(inFlight_.front())].get();
        lock.unlock();
        oldest->wait();
        lock.lock();
        continue;
      }
      if (retiredCount_ == fences_.size()) throw std::runtime_error("every slot of the pool was retired");
      changed_.wait(lock);
    }
  }

  // Held -> Free: the owner enqueued nothing that reads the slot.
  void release(int slot) { move(slot, SlotState::Held, SlotState::Free); }

  // Held -> InFlight: the owner enqueued work reading the slot and armed its fence after that work.
  void submit(int slot) { move(slot, SlotState::Held, SlotState::InFlight); }

  // Held -> Retired: the slot's fence could not be armed, so nobody can know when it is safe to reuse; it is never
  // handed out again (its memory is still freed with the pool, after drain()).
  void retire(int slot) { move(slot, SlotState::Held, SlotState::Retired); }

  // Waits until no slot is InFlight (for teardown: the memory may then be freed). Held slots are not waited for.
  void drain() {
    std::unique_lock<std::mutex> lock(mutex_);
    while (!inFlight_.empty()) {
      const int slot = inFlight_.front();
      SlotFence* fence = fences_[static_cast<size_t>(slot)].get();
      lock.unlock();
      fence->wait();
      lock.lock();
      reclaimReachedLocked();
    }
  }

  SlotState state(int slot) const {
    std::lock_guard<std::mutex> lock(mutex_);
    return states_.at(static_cast<size_t>(slot));
  }

 private:
  std::optional<int> takeLocked() {
    if (free_.empty()) reclaimReachedLocked();
    if (free_.empty()) return std::nullopt;
    const int slot = free_.front();
    free_.pop_front();
    states_[static_cast<size_t>(slot)] = SlotState::Held;
    return slot;
  }

  // Every InFlight slot whose fence was reached becomes Free (slots may finish out of order on different streams).
  void reclaimReachedLocked() {
    for (auto it = inFlight_.begin(); it != inFlight_.end();) {
      if (fences_[static_cast<size_t>(*it)]->reached()) {
        states_[static_cast<size_t>(*it)] = SlotState::Free;
        free_.push_back(*it);
        it = inFlight_.erase(it);
      } else {
        ++it;
      }
    }
  }

  void move(int slot, SlotState from, SlotState to) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (slot < 0 || static_cast<size_t>(slot) >= states_.size() || states_[static_cast<size_t>(slot)] != from)
        throw std::logic_error("slot is not held by the caller");
      states_[static_cast<size_t>(slot)] = to;
      if (to == SlotState::Free) free_.push_back(slot);
      if (to == SlotState::InFlight) inFlight_.push_back(slot);
      if (to == SlotState::Retired) ++retiredCount_;
    }
    changed_.notify_all();
  }

  std::vector<std::unique_ptr<SlotFence>> fences_;
  mutable std::mutex mutex_;
  std::condition_variable changed_;
  std::vector<SlotState> states_;
  std::deque<int> free_;
  std::deque<int> inFlight_;  // submit order: the oldest is waited on first
  size_t retiredCount_ = 0;
};

}  // namespace retinaface::cuda
