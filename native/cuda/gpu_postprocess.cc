#include "gpu_postprocess.h"

#include <algorithm>
#include <climits>
#include <string>

#include "cuda_check.h"
#include "nms_kernels.h"
#include "segmented_sort.h"

namespace retinaface::cuda {

namespace {
constexpr size_t kSharedMemoryLimit = 48 * 1024;  // the greedy pass keeps one bit per NMS candidate in shared memory

int wordsFor(int rows) { return (rows + kNmsBlock - 1) / kNmsBlock; }
}  // namespace

GpuPostprocessor::GpuPostprocessor(const GpuPostprocessLimits& limits, cudaStream_t stream)
    : limits_(limits), stream_(stream),
      maxPriors_(priorCount(std::max(limits.maxInputWidth, 1), std::max(limits.maxInputHeight, 1))),
      nmsRows_(limits.preNmsTopK > 0 ? std::min(limits.preNmsTopK, maxPriors_) : maxPriors_),
      nmsWords_(wordsFor(nmsRows_)),
      faceCapacity_(limits.maxFaces > 0 ? std::min(limits.maxFaces, nmsRows_) : nmsRows_), multiprocessors_(1),
      priors_(limits.maxInputWidth, limits.maxInputHeight, stream) {
  if (limits.maxBatch <= 0 || limits.preNmsTopK < 0 || limits.maxFaces < 0)
    throw CodedError(codes::kInvalidArgument, "postprocess limits must be positive (caps: 0 = none)");
  if (static_cast<long long>(limits.maxBatch) * maxPriors_ > INT_MAX)
    throw CodedError(codes::kInvalidArgument, "batch x priors exceeds what one sort can take");
  if (static_cast<size_t>(nmsWords_) * sizeof(uint64_t) > kSharedMemoryLimit)
    throw CodedError(codes::kInvalidArgument,
                     "pre-NMS top-k of " + std::to_string(nmsRows_) + " is too large; set preNmsTopK lower");
  int device = 0;
  RF_CUDA_CHECK(cudaGetDevice(&device));
  RF_CUDA_CHECK(cudaDeviceGetAttribute(&multiprocessors_, cudaDevAttrMultiProcessorCount, device));

  const size_t batch = static_cast<size_t>(limits.maxBatch);
  const size_t items = batch * static_cast<size_t>(maxPriors_);
  survivorCounts_ = DeviceBuffer<int>(batch, stream);
  candidates_ = DeviceBuffer<Face>(items, stream);
  keysIn_ = DeviceBuffer<uint64_t>(items, stream);
  keysOut_ = DeviceBuffer<uint64_t>(items, stream);
  slotsIn_ = DeviceBuffer<int>(items, stream);
  slotsOut_ = DeviceBuffer<int>(items, stream);
  segmentBegin_ = DeviceBuffer<int>(batch, stream);
  segmentEnd_ = DeviceBuffer<int>(batch, stream);
  sortTempBytes_ = segmentedSortTempBytes(static_cast<int>(items), limits.maxBatch);
  sortTemp_ = DeviceBuffer<uint8_t>(sortTempBytes_, stream);
  mask_ = DeviceBuffer<uint64_t>(batch * static_cast<size_t>(nmsRows_) * static_cast<size_t>(nmsWords_), stream);
  faces_ = DeviceBuffer<float>(batch * static_cast<size_t>(faceCapacity_) * kFaceFloats, stream);
  faceCounts_ = DeviceBuffer<int>(batch, stream);
}

void GpuPostprocessor::enqueue(const DeviceRawOutputs& raw, const ImageGeometry* geometry, int batch, int inputWidth,
                               int inputHeight, const PostprocessOptions& options) {
  if (batch <= 0 || batch > limits_.maxBatch)
    throw CodedError(codes::kInvalidArgument, "batch of " + std::to_string(batch) + " images; the workspace holds 1.." +
                                                  std::to_string(limits_.maxBatch));
  if (options.preNmsTopK < 0 || options.maxFaces < 0)
    throw CodedError(codes::kInvalidArgument, "caps must be >= 0 (0 = none)");
  const Prior* priors = priors_.forSize(inputWidth, inputHeight, stream_);
  const int count = priors_.count();
  const int topK = options.preNmsTopK > 0 ? std::min(options.preNmsTopK, count) : count;
  if (topK > nmsRows_)
    throw CodedError(codes::kInvalidArgument,
                     "pre-NMS top-k " + std::to_string(topK) + " exceeds the workspace's " + std::to_string(nmsRows_));
  const int keepable = options.maxFaces > 0 ? std::min(options.maxFaces, topK) : topK;
  if (keepable > faceCapacity_)
    throw CodedError(
        codes::kInvalidArgument,
        "up to " + std::to_string(keepable) + " faces per image; the workspace holds " + std::to_string(faceCapacity_));

  RF_CUDA_CHECK(cudaMemsetAsync(survivorCounts_.get(), 0, static_cast<size_t>(batch) * sizeof(int), stream_));
  enqueueDecode(raw, priors, count, geometry, batch, inputWidth, inputHeight, options.scoreThreshold, candidates_.get(),
                keysIn_.get(), slotsIn_.get(), survivorCounts_.get(), stream_);
  enqueueSegmentBounds(survivorCounts_.get(), count, batch, segmentBegin_.get(), segmentEnd_.get(), stream_);
  enqueueSegmentedSortDescending(sortTemp_.get(), sortTempBytes_, keysIn_.get(), keysOut_.get(), slotsIn_.get(),
                                 slotsOut_.get(), batch * count, batch, segmentBegin_.get(), segmentEnd_.get(),
                                 stream_);

  const RankedCandidates ranked{candidates_.get(), slotsOut_.get(), survivorCounts_.get(), count, topK};
  // Enough blocks to fill the device whatever the batch; blocks beyond an image's pairs exit at once.
  const int words = wordsFor(topK);
  const int blocksPerImage = std::max(1, std::min(words * words, (4 * multiprocessors_ + batch - 1) / batch));
  enqueueNmsMask(ranked, batch, options.nmsThreshold, mask_.get(), nmsRows_, nmsWords_, blocksPerImage, stream_);
  enqueueNmsReduce(ranked, batch, mask_.get(), nmsRows_, nmsWords_, options.maxFaces, options.clip, geometry,
                   faces_.get(), faceCapacity_, faceCounts_.get(), stream_);
}

}  // namespace retinaface::cuda
