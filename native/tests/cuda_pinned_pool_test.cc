// The pinned pool with real cudaEvents, the CUDA call check, and the build/runtime report.
#include <cstdint>
#include <cstring>
#include <future>
#include <string>
#include <vector>

#include "cuda/batch_upload.h"
#include "cuda/cuda_check.h"
#include "cuda/pinned_pool.h"
#include "cuda/runtime_info.h"
#include "cuda_test_support.h"
#include "harness.h"

using namespace retinaface;
using namespace retinaface::cuda;

namespace {

// Holds a stream at a host callback until opened, so copies queued behind it stay pending.
class StreamGate {
 public:
  explicit StreamGate(cudaStream_t stream) : opened_(promise_.get_future().share()) {
    RF_CUDA_CHECK(cudaLaunchHostFunc(stream, &StreamGate::block, this));
  }
  ~StreamGate() { open(); }  // never leave the stream blocked, even when a check threw
  void open() {
    if (!isOpen_) promise_.set_value();
    isOpen_ = true;
  }

 private:
  static void CUDART_CB block(void* self) { static_cast<StreamGate*>(self)->opened_.wait(); }
  std::promise<void> promise_;
  std::shared_future<void> opened_;
  bool isOpen_ = false;
};

}  // namespace

TEST(cuda_check_throws_inference_failed_naming_error_and_call) {
  try {
    checkCuda(cudaErrorInvalidValue, "cudaMemcpyAsync(dst, src)", "file.cc", 12);
    CHECK(false);
  } catch (const CodedError& e) {
    CHECK_EQ(std::string(e.code()), std::string("INFERENCE_FAILED"));
    const std::string what = e.what();
    CHECK(what.find("cudaErrorInvalidValue: ") == 0);
    CHECK(what.find("cudaMemcpyAsync(dst, src)") != std::string::npos);
    CHECK(what.find("file.cc:12") != std::string::npos);
  }
  checkCuda(cudaSuccess, "cudaMemcpyAsync(dst, src)", "file.cc", 12);  // no throw
}

TEST(runtime_info_reports_build_and_devices_without_throwing) {
  const CudaRuntimeInfo info = queryCudaRuntime();
  CHECK(!info.compiledArchitectures.empty());
  CHECK(info.runtimeVersion > 0);
  CHECK_EQ(info.devices.empty(), !cudatest::deviceAvailable());
  if (info.devices.empty()) CHECK(!info.deviceError.empty());
  for (const CudaDeviceInfo& d : info.devices) CHECK(d.kernelImage != "none");
}

TEST(kernel_image_follows_cuda_compatibility_rules) {
  const std::vector<std::string> archs = {"75-real", "80-real", "86-real", "89-real", "90-real", "90-virtual"};
  CHECK_EQ(kernelImageFor(archs, 7, 5), std::string("sass"));
  CHECK_EQ(kernelImageFor(archs, 8, 7), std::string("sass"));  // sm_86 code runs on 8.7
  CHECK_EQ(kernelImageFor(archs, 9, 0), std::string("sass"));
  CHECK_EQ(kernelImageFor(archs, 10, 0), std::string("ptx"));  // Blackwell: JIT from compute_90
  CHECK_EQ(kernelImageFor(archs, 12, 0), std::string("ptx"));
  CHECK_EQ(kernelImageFor(archs, 7, 0), std::string("none"));
  CHECK_EQ(kernelImageFor({"80"}, 8, 6), std::string("sass"));
  CHECK_EQ(kernelImageFor({"80"}, 9, 0), std::string("ptx"));
}

TEST(gpu_pinned_slot_is_not_reused_before_its_copy_ran) {
  cudatest::Stream stream;
  PinnedPool pool(1, 4096);
  DeviceBuffer<uint8_t> device(4096, stream.get());
  StreamGate gate(stream.get());  // the copy below cannot start until the gate opens
  {
    PinnedPool::Lease lease = pool.acquire(stream.get());
    std::memset(lease.data(), 0x5A, 4096);
    lease.copyToDeviceAsync(device.get(), 0, 4096);
  }  // released: its event is recorded behind the pending copy
  CHECK(pool.state(0) == SlotState::InFlight);
  CHECK(!pool.tryAcquire(stream.get()).has_value());
  std::future<void> reuse = std::async(std::launch::async, [&] {
    PinnedPool::Lease lease = pool.acquire(stream.get());  // waits for the event
    std::memset(lease.data(), 0x00, 4096);                 // would corrupt the copy if it had not run
  });
  CHECK(reuse.wait_for(std::chrono::milliseconds(50)) == std::future_status::timeout);
  gate.open();
  reuse.get();
  const std::vector<uint8_t> copied = cudatest::toHost(device.get(), 4096, stream.get());
  size_t wrong = 0;
  for (uint8_t v : copied) wrong += v != 0x5A;
  CHECK_EQ(wrong, static_cast<size_t>(0));
  CHECK(pool.state(0) == SlotState::Free);
}

TEST(gpu_pinned_lease_without_copies_frees_at_once) {
  cudatest::Stream stream;
  PinnedPool pool(2, 64);
  {
    PinnedPool::Lease a = pool.acquire(stream.get());
    PinnedPool::Lease moved = std::move(a);
    CHECK(moved.capacity() == 64);
    try {
      moved.copyToDeviceAsync(nullptr, 32, 33);
      CHECK(false);
    } catch (const CodedError& e) {
      CHECK_EQ(std::string(e.code()), std::string("INVALID_ARGUMENT"));
    }
  }
  CHECK(pool.state(0) == SlotState::Free);
  CHECK(pool.state(1) == SlotState::Free);
}

TEST(gpu_batch_upload_round_trips_through_a_slot) {
  cudatest::Stream stream;
  PinnedPool pool(2, 1 << 16);
  DeviceBuffer<uint8_t> device(1 << 16, stream.get());
  std::vector<uint8_t> a(7 * 5 * 4), b(3 * 9 * 1);
  for (size_t i = 0; i < a.size(); ++i) a[i] = static_cast<uint8_t>(i * 7);
  for (size_t i = 0; i < b.size(); ++i) b[i] = static_cast<uint8_t>(255 - i);
  const std::vector<PixelView> views = {{a.data(), 7, 5, 4, 28}, {b.data(), 3, 9, 1, 3}};
  const std::vector<Letterbox> lbs = {computeLetterbox(7, 5, 32, 32), computeLetterbox(3, 9, 32, 32)};
  DeviceBatch batch;
  {
    PinnedPool::Lease lease = pool.acquire(stream.get());
    batch = uploadBatch(lease, views, lbs, device.get(), device.size());
  }
  CHECK_EQ(batch.count, 2);
  const std::vector<uint8_t> copied = cudatest::toHost(batch.base, batch.bytes, stream.get());
  std::vector<uint8_t> expected(batch.bytes);
  const BatchLayout layout = planBatch(views, lbs);
  packBatch(layout, views, expected.data(), expected.size());
  // Padding bytes are unspecified: compare the records and the pixels.
  CHECK(std::memcmp(copied.data(), expected.data(), 2 * sizeof(ImageGeometry)) == 0);
  for (int i = 0; i < 2; ++i) {
    const ImageGeometry& g = layout.images[static_cast<size_t>(i)];
    CHECK(std::memcmp(copied.data() + g.pixelOffset, expected.data() + g.pixelOffset,
                      static_cast<size_t>(g.rowStride) * g.height) == 0);
  }
  PinnedPool::Lease lease = pool.acquire(stream.get());
  CHECK_THROWS(uploadBatch(lease, views, lbs, device.get(), 64));  // destination too small
}
