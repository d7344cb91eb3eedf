#include "preprocess_call.h"

#include <memory>
#include <string>
#include <vector>

#include "../core/letterbox.h"
#include "../core/preprocess.h"
#include "args.h"
#include "job_thread.h"
#include "js_error.h"
#include "letterbox_object.h"
#include "pixel_view_arg.h"

namespace retinaface::napi {

namespace {

class PreprocessJob : public Job {
 public:
  PreprocessJob(std::vector<PixelView> images, std::vector<Letterbox> boxes, float* out,
                std::vector<Napi::Reference<Napi::Value>> keepAlive)
      : images_(std::move(images)), boxes_(std::move(boxes)), out_(out), keepAlive_(std::move(keepAlive)) {}

  void run() override {
    size_t offset = 0;
    for (size_t i = 0; i < images_.size(); ++i) {
      letterboxToTensor(images_[i], boxes_[i], out_ + offset);
      offset += static_cast<size_t>(3) * boxes_[i].inputWidth * boxes_[i].inputHeight;
    }
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Array array = Napi::Array::New(env, boxes_.size());
    for (size_t i = 0; i < boxes_.size(); ++i) array.Set(static_cast<uint32_t>(i), letterboxToObject(env, boxes_[i]));
    return array;
  }

 private:
  std::vector<PixelView> images_;
  std::vector<Letterbox> boxes_;
  float* out_;
  // Pixel and output arrays stay alive (not collected) while we work. A reference cannot stop a transfer from
  // detaching and freeing an array's memory, so the JS layer passes only arrays it owns: the detector copies caller
  // pixels at call time and never hands out its tensors.
  std::vector<Napi::Reference<Napi::Value>> keepAlive_;
};

}  // namespace

Napi::Value preprocess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0)
      throw CodedError(codes::kInvalidArgument, "images must be a non-empty array");
    Napi::Array list = info[0].As<Napi::Array>();
    const bool original = info[1].IsNull() || info[1].IsUndefined();
    if (original && list.Length() != 1)
      throw CodedError(codes::kInvalidArgument, "original-size preprocessing takes exactly one image");
    int canvasWidth = 0, canvasHeight = 0;
    if (!original) {
      Napi::Object canvas = objectArg(info[1], "canvas");
      canvasWidth = intProperty(canvas, "width", 1, kMaxImageSide);
      canvasHeight = intProperty(canvas, "height", 1, kMaxImageSide);
    }
    Napi::TypedArray out = typedArray(info[2], napi_float32_array, "out");

    std::vector<PixelView> images;
    std::vector<Letterbox> boxes;
    std::vector<Napi::Reference<Napi::Value>> keepAlive;
    size_t needed = 0;
    for (uint32_t i = 0; i < list.Length(); ++i) {
      Napi::Object image = objectArg(list.Get(i), "images[" + std::to_string(i) + "]");
      Napi::TypedArray data;
      const PixelView view = pixelViewArg(image, "images[]", data);
      const Letterbox box = original ? identityLetterbox(view.width, view.height)
                                     : computeLetterbox(view.width, view.height, canvasWidth, canvasHeight);
      needed += static_cast<size_t>(3) * box.inputWidth * box.inputHeight;
      images.push_back(view);
      boxes.push_back(box);
      keepAlive.push_back(Napi::Persistent(static_cast<Napi::Value>(data)));
    }
    if (out.ElementLength() < needed)
      throw CodedError(codes::kInvalidArgument, "out holds " + std::to_string(out.ElementLength()) + " floats, " +
                                                    std::to_string(needed) + " needed");
    float* outData = typedArrayData<float>(out);
    keepAlive.push_back(Napi::Persistent(static_cast<Napi::Value>(out)));
    return JobThread::of(env).submit(
        env, std::make_unique<PreprocessJob>(std::move(images), std::move(boxes), outData, std::move(keepAlive)));
  });
}

}  // namespace retinaface::napi
