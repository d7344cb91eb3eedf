// Page-locked host staging buffers for uploads: a fixed number of equal slots allocated once with cudaHostAlloc and
// owned by the addon (never handed to JS as an external buffer). A caller leases a slot for one stream, copies
// decoded pixels into it, enqueues async host-to-device copies on that stream, and gives it back; the slot is
// reused only after a cudaEvent recorded behind those copies has completed. Thread-safe.
#pragma once
#include <cuda_runtime_api.h>

#include <cstddef>
#include <cstdint>
#include <memory>
#include <optional>
#include <vector>

#include "slot_pool.h"

namespace retinaface::cuda {

class PinnedPool {
 public:
  // Allocates slotCount slots of slotBytes each. Throws CodedError (e.g. no device, out of pinned memory).
  PinnedPool(int slotCount, size_t slotBytes);
  // Waits for every slot's copies to finish, then frees the memory. Leases must not outlive the pool.
  ~PinnedPool();
  PinnedPool(const PinnedPool&) = delete;
  PinnedPool& operator=(const PinnedPool&) = delete;

  class Lease {
   public:
    Lease(Lease&& other) noexcept;
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    // Gives the slot back if release() was not called (a failure then retires the slot instead of throwing).
    ~Lease();

    uint8_t* data() const;
    size_t capacity() const;
    cudaStream_t stream() const { return stream_; }
    // Enqueues a copy of bytes [offset, offset + size) of the slot to deviceDst on the lease's stream.
    void copyToDeviceAsync(void* deviceDst, size_t offset, size_t size);
    // Records the slot's event behind the enqueued copies (if any) and hands the slot back; idempotent.
    void release();

   private:
    friend class PinnedPool;
    Lease(PinnedPool* pool, int slot, cudaStream_t stream) : pool_(pool), slot_(slot), stream_(stream) {}
    PinnedPool* pool_;
    int slot_;
    cudaStream_t stream_;
    bool copiesEnqueued_ = false;
  };

  // Blocks until a slot is free (waiting on the oldest in-flight slot's event if need be).
  Lease acquire(cudaStream_t stream);
  // A slot if one is free now.
  std::optional<Lease> tryAcquire(cudaStream_t stream);

  int slotCount() const { return static_cast<int>(slots_.size()); }
  size_t slotBytes() const { return slotBytes_; }
  SlotState state(int slot) const { return bookkeeping_->state(slot); }

 private:
  struct Slot {
    uint8_t* memory = nullptr;
    cudaEvent_t event = nullptr;
  };
  void freeAll() noexcept;

  size_t slotBytes_;
  std::vector<Slot> slots_;
  std::unique_ptr<SlotPool> bookkeeping_;
};

}  // namespace retinaface::cuda
