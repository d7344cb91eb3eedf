#include "pinned_pool.h"

#include <exception>
#include <string>
#include <utility>

#include "cuda_check.h"

namespace retinaface::cuda {

namespace {

// The slot is reusable once the event recorded behind its copies has completed.
class EventFence : public SlotFence {
 public:
  explicit EventFence(cudaEvent_t event) : event_(event) {}
  bool reached() override {
    const cudaError_t status = cudaEventQuery(event_);
    if (status == cudaErrorNotReady) return false;
    RF_CUDA_CHECK(status);
    return true;
  }
  void wait() override { RF_CUDA_CHECK(cudaEventSynchronize(event_)); }

 private:
  cudaEvent_t event_;
};

}  // namespace

PinnedPool::PinnedPool(int slotCount, size_t slotBytes) : slotBytes_(slotBytes) {
  if (slotCount <= 0 || slotBytes == 0)
    throw CodedError(codes::kInvalidArgument, "a pinned pool needs at least one non-empty slot");
  slots_.resize(static_cast<size_t>(slotCount));
  std::vector<std::unique_ptr<SlotFence>> fences;
  try {
    for (Slot& slot : slots_) {
      RF_CUDA_CHECK(cudaHostAlloc(reinterpret_cast<void**>(&slot.memory), slotBytes, cudaHostAllocDefault));
      // Timing is never read; without it the event is cheaper to record and query.
      RF_CUDA_CHECK(cudaEventCreateWithFlags(&slot.event, cudaEventDisableTiming));
      fences.push_back(std::make_unique<EventFence>(slot.event));
    }
  } catch (...) {
    freeAll();
    throw;
  }
  bookkeeping_ = std::make_unique<SlotPool>(std::move(fences));
}

PinnedPool::~PinnedPool() {
  try {
    bookkeeping_->drain();
  } catch (const std::exception&) {
    // A broken context: the copies cannot complete any more, so the memory is safe to free.
  }
  freeAll();
}

void PinnedPool::freeAll() noexcept {
  for (Slot& slot : slots_) {
    if (slot.event) (void)cudaEventDestroy(slot.event);
    if (slot.memory) (void)cudaFreeHost(slot.memory);
    slot = Slot{};
  }
}

PinnedPool::Lease PinnedPool::acquire(cudaStream_t stream) { return Lease(this, bookkeeping_->acquire(), stream); }

std::optional<PinnedPool::Lease> PinnedPool::tryAcquire(cudaStream_t stream) {
  if (std::optional<int> slot = bookkeeping_->tryAcquire()) return Lease(this, *slot, stream);
  return std::nullopt;
}

PinnedPool::Lease::Lease(Lease&& other) noexcept
    : pool_(std::exchange(other.pool_, nullptr)), slot_(other.slot_), stream_(other.stream_),
      copiesEnqueued_(other.copiesEnqueued_) {}

PinnedPool::Lease::~Lease() {
  if (!pool_) return;
  try {
    release();
  } catch (const std::exception&) {
    // The event could not be recorded: nobody can tell when the copies end, so the slot leaves circulation.
    pool_->bookkeeping_->retire(slot_);
    pool_ = nullptr;
  }
}

uint8_t* PinnedPool::Lease::data() const { return pool_->slots_[static_cast<size_t>(slot_)].memory; }

size_t PinnedPool::Lease::capacity() const { return pool_->slotBytes_; }

void PinnedPool::Lease::copyToDeviceAsync(void* deviceDst, size_t offset, size_t size) {
  if (!pool_) throw CodedError(codes::kInvalidArgument, "the pinned slot was already released");
  if (offset > pool_->slotBytes_ || size > pool_->slotBytes_ - offset)
    throw CodedError(codes::kInvalidArgument, "copy of " + std::to_string(size) + " bytes at " +
                                                  std::to_string(offset) + " exceeds the pinned slot of " +
                                                  std::to_string(pool_->slotBytes_) + " bytes");
  if (size == 0) return;
  RF_CUDA_CHECK(cudaMemcpyAsync(deviceDst, data() + offset, size, cudaMemcpyHostToDevice, stream_));
  copiesEnqueued_ = true;
}

void PinnedPool::Lease::release() {
  if (!pool_) return;
  if (copiesEnqueued_) {
    RF_CUDA_CHECK(cudaEventRecord(pool_->slots_[static_cast<size_t>(slot_)].event, stream_));
    pool_->bookkeeping_->submit(slot_);
  } else {
    pool_->bookkeeping_->release(slot_);
  }
  pool_ = nullptr;
}

}  // namespace retinaface::cuda
