#include "trt_args.h"

#include "../trt/layer/layer_loader.h"
#include "args.h"

namespace retinaface::napi {

namespace {

constexpr int kMaxSide = 1 << 14;

trt::InputSize sizeProperty(const Napi::Object& object, const char* key) {
  Napi::Object size = objectArg(object.Get(key), key);
  return trt::InputSize{intProperty(size, "width", 1, kMaxSide), intProperty(size, "height", 1, kMaxSide)};
}

std::string stringProperty(const Napi::Object& object, const char* key) {
  Napi::Value value = object.Get(key);
  if (!value.IsString()) throw CodedError(codes::kInvalidArgument, std::string(key) + " must be a string");
  return value.As<Napi::String>().Utf8Value();
}

}  // namespace

OpenOptions readOpenOptions(const Napi::Value& value) {
  Napi::Object object = objectArg(value, "options");
  OpenOptions options;
  trt::SessionConfig& config = options.session;
  Napi::TypedArray onnx = typedArray(object.Get("onnx"), napi_uint8_array, "onnx");
  const uint8_t* bytes = typedArrayData<uint8_t>(onnx);
  config.onnx.assign(bytes, bytes + onnx.ByteLength());
  try {
    config.precision = trt::parsePrecision(stringProperty(object, "precision"));
  } catch (const std::exception& e) {
    throw CodedError(codes::kInvalidArgument, e.what());
  }
  Napi::Object profile = objectArg(object.Get("profile"), "profile");
  config.profile.maxBatch = intProperty(profile, "maxBatch", 1, 1024);
  config.profile.optBatch = intProperty(profile, "optBatch", 1, 1024);
  config.profile.min = sizeProperty(profile, "min");
  config.profile.opt = sizeProperty(profile, "opt");
  config.profile.max = sizeProperty(profile, "max");
  config.workspaceBytes = static_cast<uint64_t>(numberProperty(object, "workspaceBytes"));
  config.cacheDir = stringProperty(object, "cacheDir");
  config.streams = intProperty(object, "streams", 1, 16);
  config.preNmsTopK = intProperty(object, "preNmsTopK", 0, 1 << 24);
  config.maxFaces = intProperty(object, "maxFaces", 0, 1 << 24);
  options.layerDir = object.Get("layerDir").IsString() ? stringProperty(object, "layerDir") : trt::defaultLayerDirectory();
  options.logSeverity = intProperty(object, "logSeverity", -1, 4);
  options.pinnedSlots = config.streams + 1;
  options.pinnedSlotBytes = static_cast<size_t>(intProperty(object, "pinnedSlotBytes", 1 << 16, 1 << 30));
  return options;
}

DetectArguments readDetectArguments(const Napi::CallbackInfo& info) {
  DetectArguments args;
  if (!info[0].IsArray() || info[0].As<Napi::Array>().Length() == 0)
    throw CodedError(codes::kInvalidArgument, "images must be a non-empty array");
  Napi::Array list = info[0].As<Napi::Array>();
  if (!info[1].IsNull() && !info[1].IsUndefined()) {
    Napi::Object canvas = objectArg(info[1], "canvas");
    args.request.canvas = trt::InputSize{intProperty(canvas, "width", 1, kMaxSide), intProperty(canvas, "height", 1, kMaxSide)};
  }
  Napi::Object options = objectArg(info[2], "options");
  PostprocessOptions& post = args.request.options;
  post.scoreThreshold = static_cast<float>(numberProperty(options, "scoreThreshold"));
  post.nmsThreshold = static_cast<float>(numberProperty(options, "nmsThreshold"));
  post.preNmsTopK = intProperty(options, "preNmsTopK", 0, 1 << 24);
  post.maxFaces = intProperty(options, "maxFaces", 0, 1 << 24);
  post.clip = boolProperty(options, "clip");
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Object image = objectArg(list.Get(i), "images[" + std::to_string(i) + "]");
    Napi::Value dataValue = image.Get("data");
    Napi::TypedArray data = typedArray(dataValue, napi_uint8_array, "images[].data");
    PixelView view;
    view.width = intProperty(image, "width", 1, 1 << 16);
    view.height = intProperty(image, "height", 1, 1 << 16);
    view.channels = intProperty(image, "channels", 1, 4);
    if (view.channels == 2) throw CodedError(codes::kInvalidArgument, "channels must be 1, 3 or 4");
    view.rowStride = view.width * view.channels;
    if (data.ByteLength() < static_cast<size_t>(view.rowStride) * static_cast<size_t>(view.height))
      throw CodedError(codes::kInvalidArgument, "images[].data is shorter than width * height * channels");
    view.data = typedArrayData<uint8_t>(data);
    args.request.images.push_back(view);
    args.keepAlive.push_back(Napi::Persistent(dataValue));
  }
  return args;
}

}  // namespace retinaface::napi
