// The CUDA lane device: one non-blocking stream, a slot of the shared pinned pool per batch, and the kernels of
// native/cuda. Per batch, all on the stream: pack pixels into the pinned slot -> one H2D copy of uint8 pixels ->
// letterbox preprocess into the engine's input -> (engine) -> decode + sort + NMS -> D2H of the surviving faces
// and counts only -> one event; collect() is the batch's single wait. Needs CUDA (compiled only with it).
#pragma once
#include <cuda_runtime_api.h>

#include <memory>

#include "cuda/device_buffer.h"
#include "cuda/gpu_postprocess.h"
#include "cuda/letterbox_preprocess.h"
#include "cuda/pinned_pool.h"
#include "trt/pipeline/lane_device.h"

namespace retinaface::trt {

class CudaLaneDevice : public LaneDevice {
 public:
  CudaLaneDevice(const LaneLimits& limits, cuda::PinnedPool& pinned, int device);
  ~CudaLaneDevice() override;

  void* stream() override { return stream_.handle; }
  TensorBindings tensors() override;
  void enqueuePreprocess(const std::vector<PixelView>& images, const std::vector<Letterbox>& letterboxes,
                         InputSize input) override;
  void enqueuePostprocess(int batch, InputSize input, const PostprocessOptions& options) override;
  void collect(int batch, DetectResult& result) override;
  void drain() noexcept override;

 private:
  // Owns the stream; declared first so that every buffer freed on it goes before it.
  struct Stream {
    cudaStream_t handle = nullptr;
    ~Stream();
  };
  struct Event {
    cudaEvent_t handle = nullptr;
    ~Event();
  };
  template <typename T>
  struct PinnedHost {
    T* data = nullptr;
    ~PinnedHost();
  };
  void ensureUploadCapacity(size_t bytes);

  LaneLimits limits_;
  cuda::PinnedPool& pinned_;
  int device_;
  Stream stream_;
  Event done_;
  cuda::TensorFormat format_;
  cuda::DeviceBuffer<uint8_t> upload_;  // the batch's geometry + pixels; grows to the largest batch seen
  cuda::DeviceBuffer<uint8_t> input_;   // [maxBatch, 3, maxH, maxW] float32 or float16
  cuda::DeviceBuffer<float> loc_, conf_, landms_;
  std::unique_ptr<cuda::GpuPreprocessor> preprocessor_;
  std::unique_ptr<cuda::GpuPostprocessor> postprocessor_;
  PinnedHost<int32_t> hostCounts_;
  PinnedHost<float> hostFaces_;
  const cuda::ImageGeometry* geometry_ = nullptr;  // of the batch in flight, inside upload_
};

}  // namespace retinaface::trt
