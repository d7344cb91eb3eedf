#include "cuda_lane_device.h"

#include <cstring>
#include <stdexcept>
#include <string>

#include "core/coded_error.h"
#include "core/priors.h"
#include "cuda/batch_layout.h"
#include "cuda/cuda_check.h"

namespace retinaface::trt {

namespace {

// The kernels already throw CodedError (a failing CUDA call is INFERENCE_FAILED, a request beyond a workspace
// INVALID_ARGUMENT); the batch layout's std::invalid_argument (bad geometry) becomes an argument error too.
template <typename Body>
void translated(Body body) {
  try {
    body();
  } catch (const std::invalid_argument& e) {
    throw CodedError(codes::kInvalidArgument, e.what());
  }
}

}  // namespace

CudaLaneDevice::Stream::~Stream() {
  if (!handle) return;
  (void)cudaStreamSynchronize(handle);
  (void)cudaStreamDestroy(handle);
}

CudaLaneDevice::Event::~Event() {
  if (handle) (void)cudaEventDestroy(handle);
}

template <typename T>
CudaLaneDevice::PinnedHost<T>::~PinnedHost() {
  if (data) (void)cudaFreeHost(data);
}

CudaLaneDevice::CudaLaneDevice(const LaneLimits& limits, cuda::PinnedPool& pinned, int device)
    : limits_(limits), pinned_(pinned), device_(device),
      format_(limits.inputType == TensorType::Float16 ? cuda::TensorFormat::Float16 : cuda::TensorFormat::Float32) {
  translated([&] {
    RF_CUDA_CHECK(cudaSetDevice(device_));
    RF_CUDA_CHECK(cudaStreamCreateWithFlags(&stream_.handle, cudaStreamNonBlocking));
    // Blocking sync: the lane thread sleeps while the GPU works instead of spinning a core.
    RF_CUDA_CHECK(cudaEventCreateWithFlags(&done_.handle, cudaEventDisableTiming | cudaEventBlockingSync));
    const size_t batch = static_cast<size_t>(limits.maxBatch);
    const size_t pixels = static_cast<size_t>(limits.maxInput.width) * static_cast<size_t>(limits.maxInput.height);
    const size_t priors = static_cast<size_t>(priorCount(limits.maxInput.width, limits.maxInput.height));
    const size_t element = format_ == cuda::TensorFormat::Float16 ? 2 : 4;
    input_ = cuda::DeviceBuffer<uint8_t>(batch * 3 * pixels * element, stream_.handle);
    loc_ = cuda::DeviceBuffer<float>(batch * priors * 4, stream_.handle);
    conf_ = cuda::DeviceBuffer<float>(batch * priors * 2, stream_.handle);
    landms_ = cuda::DeviceBuffer<float>(batch * priors * 10, stream_.handle);
    preprocessor_ = std::make_unique<cuda::GpuPreprocessor>(limits.maxBatch, limits.maxInput.width,
                                                            limits.maxInput.height, stream_.handle);
    cuda::GpuPostprocessLimits post;
    post.maxBatch = limits.maxBatch;
    post.maxInputWidth = limits.maxInput.width;
    post.maxInputHeight = limits.maxInput.height;
    post.preNmsTopK = limits.preNmsTopK;
    post.maxFaces = limits.maxFaces;
    postprocessor_ = std::make_unique<cuda::GpuPostprocessor>(post, stream_.handle);
    const size_t faceFloats = batch * static_cast<size_t>(postprocessor_->faceCapacity()) * kFaceFloats;
    RF_CUDA_CHECK(
        cudaHostAlloc(reinterpret_cast<void**>(&hostCounts_.data), batch * sizeof(int32_t), cudaHostAllocDefault));
    RF_CUDA_CHECK(
        cudaHostAlloc(reinterpret_cast<void**>(&hostFaces_.data), faceFloats * sizeof(float), cudaHostAllocDefault));
    ensureUploadCapacity(1 << 20);
    RF_CUDA_CHECK(cudaStreamSynchronize(stream_.handle));  // allocations done before the first batch is timed
  });
}

CudaLaneDevice::~CudaLaneDevice() { drain(); }

TensorBindings CudaLaneDevice::tensors() {
  return TensorBindings{input_.get(), loc_.get(), conf_.get(), landms_.get()};
}

void CudaLaneDevice::ensureUploadCapacity(size_t bytes) {
  if (upload_.bytes() >= bytes) return;
  // Stream-ordered: the old buffer is freed after the work already enqueued that reads it.
  upload_ = cuda::DeviceBuffer<uint8_t>(bytes + bytes / 4, stream_.handle);
}

void CudaLaneDevice::enqueuePreprocess(const std::vector<PixelView>& images, const std::vector<Letterbox>& letterboxes,
                                       InputSize input) {
  translated([&] {
    RF_CUDA_CHECK(cudaSetDevice(device_));
    const cuda::BatchLayout layout = cuda::planBatch(images, letterboxes);
    ensureUploadCapacity(layout.totalBytes);
    cuda::PinnedPool::Lease lease = pinned_.acquire(stream_.handle);
    if (layout.totalBytes <= lease.capacity()) {
      cuda::packBatch(layout, images, lease.data(), lease.capacity());
      lease.copyToDeviceAsync(upload_.get(), 0, layout.totalBytes);
    } else {
      // Larger than a slot (huge photos): the geometry goes through the slot, the pixels straight from the
      // caller's pageable memory; such a copy returns once CUDA has staged it, so the caller's buffer is free.
      const size_t geometryBytes = layout.images.size() * sizeof(cuda::ImageGeometry);
      std::memcpy(lease.data(), layout.images.data(), geometryBytes);
      lease.copyToDeviceAsync(upload_.get(), 0, geometryBytes);
      for (size_t i = 0; i < images.size(); ++i) {
        const cuda::ImageGeometry& g = layout.images[i];
        RF_CUDA_CHECK(cudaMemcpy2DAsync(upload_.get() + g.pixelOffset, static_cast<size_t>(g.rowStride), images[i].data,
                                        static_cast<size_t>(images[i].rowStride), static_cast<size_t>(g.rowStride),
                                        static_cast<size_t>(g.height), cudaMemcpyHostToDevice, stream_.handle));
      }
    }
    lease.release();  // the slot is reused only after its event says the copy finished
    geometry_ = reinterpret_cast<const cuda::ImageGeometry*>(upload_.get());
    preprocessor_->enqueue(upload_.get(), geometry_, static_cast<int>(images.size()), input.width, input.height,
                           format_, input_.get(), stream_.handle);
  });
}

void CudaLaneDevice::enqueuePostprocess(int batch, InputSize input, const PostprocessOptions& options) {
  translated([&] {
    postprocessor_->enqueue(cuda::DeviceRawOutputs{loc_.get(), conf_.get(), landms_.get()}, geometry_, batch,
                            input.width, input.height, options);
    const size_t faces = static_cast<size_t>(batch) * static_cast<size_t>(postprocessor_->faceCapacity()) * kFaceFloats;
    RF_CUDA_CHECK(cudaMemcpyAsync(hostCounts_.data, postprocessor_->counts(),
                                  static_cast<size_t>(batch) * sizeof(int32_t), cudaMemcpyDeviceToHost,
                                  stream_.handle));
    RF_CUDA_CHECK(cudaMemcpyAsync(hostFaces_.data, postprocessor_->faces(), faces * sizeof(float),
                                  cudaMemcpyDeviceToHost, stream_.handle));
    RF_CUDA_CHECK(cudaEventRecord(done_.handle, stream_.handle));
  });
}

void CudaLaneDevice::collect(int batch, DetectResult& result) {
  translated([&] { RF_CUDA_CHECK(cudaEventSynchronize(done_.handle)); });
  const size_t capacity = static_cast<size_t>(postprocessor_->faceCapacity());
  for (int b = 0; b < batch; ++b) {
    const int32_t count = hostCounts_.data[b];
    if (count < 0 || static_cast<size_t>(count) > capacity)
      throw CodedError(codes::kInferenceFailed, "the GPU returned an impossible face count");
    result.counts.push_back(count);
    const float* faces = hostFaces_.data + static_cast<size_t>(b) * capacity * kFaceFloats;
    result.faces.insert(result.faces.end(), faces, faces + static_cast<size_t>(count) * kFaceFloats);
  }
}

void CudaLaneDevice::drain() noexcept {
  if (stream_.handle) (void)cudaStreamSynchronize(stream_.handle);
}

}  // namespace retinaface::trt
