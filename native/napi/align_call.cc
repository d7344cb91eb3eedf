#include "align_call.h"

#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "../core/face_align.h"
#include "args.h"
#include "pixel_view_arg.h"
#include "job_thread.h"
#include "js_error.h"

namespace retinaface::napi {

namespace {

class AlignJob : public Job {
 public:
  AlignJob(PixelView image, std::vector<AlignTransform> transforms, int size, std::vector<uint8_t*> outs,
           std::vector<Napi::Reference<Napi::Value>> keepAlive)
      : image_(image), transforms_(std::move(transforms)), size_(size), outs_(std::move(outs)),
        keepAlive_(std::move(keepAlive)) {}

  void run() override {
    for (size_t i = 0; i < transforms_.size(); ++i) alignedCrop(image_, transforms_[i], size_, outs_[i]);
  }
  Napi::Value result(Napi::Env env) override {
    Napi::Float64Array matrices = Napi::Float64Array::New(env, transforms_.size() * 12);
    for (size_t i = 0; i < transforms_.size(); ++i)
      for (int k = 0; k < 6; ++k) {
        matrices[i * 12 + k] = transforms_[i].matrix.m[k];
        matrices[i * 12 + 6 + k] = transforms_[i].inverse.m[k];
      }
    return matrices;
  }

 private:
  PixelView image_;
  std::vector<AlignTransform> transforms_;
  int size_;
  std::vector<uint8_t*> outs_;
  std::vector<Napi::Reference<Napi::Value>> keepAlive_;  // pixels and outputs stay alive while we work
};

}  // namespace

Napi::Value alignFaces(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return promiseOrRejection(env, [&]() -> Napi::Value {
    Napi::Object image = objectArg(info[0], "image");
    Napi::TypedArray data;
    const PixelView view = pixelViewArg(image, "image", data);

    if (!info[1].IsTypedArray() || info[1].As<Napi::TypedArray>().TypedArrayType() != napi_float64_array)
      throw CodedError(codes::kInvalidArgument, "landmarks must be a Float64Array");
    Napi::Float64Array landmarks = info[1].As<Napi::Float64Array>();
    if (landmarks.ElementLength() % 10 != 0)
      throw CodedError(codes::kInvalidArgument, "landmarks must hold 10 numbers (5 points) per face");
    if (!info[2].IsNumber()) throw CodedError(codes::kInvalidArgument, "size must be a number");
    const double sizeValue = info[2].As<Napi::Number>().DoubleValue();
    if (!(sizeValue >= kMinAlignSize && sizeValue <= kMaxAlignSize) || sizeValue != static_cast<int>(sizeValue))
      throw CodedError(codes::kInvalidArgument, "size must be an integer in [" + std::to_string(kMinAlignSize) + ", " +
                                                    std::to_string(kMaxAlignSize) + "]");
    const int size = static_cast<int>(sizeValue);
    const size_t faces = landmarks.ElementLength() / 10;
    // One output array per face: small separate buffers come from the warm heap, where one large buffer per call
    // would be fresh pages (a page fault every 4 KiB, costly in a VM).
    if (!info[3].IsArray() || info[3].As<Napi::Array>().Length() != faces)
      throw CodedError(codes::kInvalidArgument, "out must be an array of one Uint8Array per face");
    Napi::Array outList = info[3].As<Napi::Array>();
    const size_t needed = static_cast<size_t>(size) * size * 3;
    std::vector<uint8_t*> outs;
    std::vector<Napi::Reference<Napi::Value>> keepAlive;
    for (uint32_t i = 0; i < faces; ++i) {
      Napi::TypedArray out = typedArray(outList.Get(i), napi_uint8_array, "out[" + std::to_string(i) + "]");
      if (out.ByteLength() < needed)
        throw CodedError(codes::kInvalidArgument, "out[" + std::to_string(i) + "] holds " +
                                                      std::to_string(out.ByteLength()) + " bytes, " +
                                                      std::to_string(needed) + " needed");
      outs.push_back(typedArrayData<uint8_t>(out));
      keepAlive.push_back(Napi::Persistent(static_cast<Napi::Value>(out)));
    }

    std::vector<AlignTransform> transforms;
    transforms.reserve(faces);
    for (size_t i = 0; i < faces; ++i) {
      float points[10];
      for (int k = 0; k < 10; ++k) points[k] = static_cast<float>(landmarks[i * 10 + k]);  // as detectors give them
      try {
        transforms.push_back(alignTransform(points, size));
      } catch (const std::invalid_argument& e) {
        throw CodedError(codes::kInvalidArgument, "face " + std::to_string(i) + ": " + e.what());
      }
    }
    keepAlive.push_back(Napi::Persistent(static_cast<Napi::Value>(data)));
    return JobThread::of(env).submit(
        env, std::make_unique<AlignJob>(view, std::move(transforms), size, std::move(outs), std::move(keepAlive)));
  });
}

}  // namespace retinaface::napi
