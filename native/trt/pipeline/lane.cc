#include "lane.h"

#include <string>

#include "core/coded_error.h"

namespace retinaface::trt {

namespace {

std::string sizeText(InputSize size) { return std::to_string(size.width) + "x" + std::to_string(size.height); }

// Letterbox geometry for every image, checked against the engine's profile before any work is enqueued.
std::vector<Letterbox> planLetterboxes(const DetectRequest& request, const ShapeProfile& profile, InputSize& input) {
  std::vector<Letterbox> letterboxes;
  letterboxes.reserve(request.images.size());
  const PixelView& first = request.images.front();
  input = request.canvas ? *request.canvas : InputSize{first.width, first.height};
  if (!profile.contains(input)) {
    throw CodedError(
        codes::kInvalidArgument,
        "a " + sizeText(input) + " network input is outside the engine's profile (" + profile.describe() + ")");
  }
  for (const PixelView& image : request.images) {
    if (image.width <= 0 || image.height <= 0 || !image.data)
      throw CodedError(codes::kInvalidArgument, "an image of the batch has no pixels");
    if (request.canvas) {
      letterboxes.push_back(computeLetterbox(image.width, image.height, input.width, input.height));
    } else {
      if (image.width != input.width || image.height != input.height)
        throw CodedError(codes::kInvalidArgument, "images run at their own size must share one size in a batch");
      letterboxes.push_back(identityLetterbox(image.width, image.height));
    }
  }
  return letterboxes;
}

}  // namespace

Lane::Lane(std::unique_ptr<LaneDevice> device, std::unique_ptr<ExecutionContext> context, const LaneLimits& limits,
           const ShapeProfile& profile)
    : device_(std::move(device)), context_(std::move(context)), limits_(limits), profile_(profile) {}

Lane::~Lane() {
  // The context may only go once the stream no longer runs it; the device (and its stream) goes last.
  device_->drain();
  context_.reset();
  device_.reset();
}

DetectResult Lane::run(const DetectRequest& request) {
  const int batch = static_cast<int>(request.images.size());
  if (batch == 0) throw CodedError(codes::kInvalidArgument, "a batch needs at least one image");
  if (batch > limits_.maxBatch)
    throw CodedError(codes::kInvalidArgument, "a batch of " + std::to_string(batch) + " images exceeds the engine's " +
                                                  std::to_string(limits_.maxBatch));
  InputSize input;
  const std::vector<Letterbox> letterboxes = planLetterboxes(request, profile_, input);
  try {
    device_->enqueuePreprocess(request.images, letterboxes, input);
    InferenceCall call;
    call.batch = batch;
    call.size = input;
    call.tensors = device_->tensors();
    context_->enqueue(call, device_->stream());
    device_->enqueuePostprocess(batch, input, request.options);
    DetectResult result;
    device_->collect(batch, result);
    return result;
  } catch (...) {
    device_->drain();  // the next batch must not find this one's work still running in the buffers
    throw;
  }
}

}  // namespace retinaface::trt
