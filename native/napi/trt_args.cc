#include "trt_args.h"

#include "../trt/layer/layer_loader.h"
#include "args.h"
#include "pixel_view_arg.h"
#include "postprocess_options_arg.h"

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
  config.preNmsTopK = intProperty(object, "preNmsTopK", 0, kMaxFaceCap);
  config.maxFaces = intProperty(object, "maxFaces", 0, kMaxFaceCap);
  options.layerDir = object.Get("layerDir").IsString() ? stringProperty(object, "layerDir")
                                                       : trt::defaultLayerDirectory();
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
    args.request.canvas = trt::InputSize{intProperty(canvas, "width", 1, kMaxSide),
                                         intProperty(canvas, "height", 1, kMaxSide)};
  }
  args.request.options = postprocessOptionsArg(info[2]);
  for (uint32_t i = 0; i < list.Length(); ++i) {
    Napi::Object image = objectArg(list.Get(i), "images[" + std::to_string(i) + "]");
    Napi::TypedArray data;
    args.request.images.push_back(pixelViewArg(image, "images[]", data));
    args.keepAlive.push_back(Napi::Persistent(static_cast<Napi::Value>(data)));
  }
  return args;
}

}  // namespace retinaface::napi
