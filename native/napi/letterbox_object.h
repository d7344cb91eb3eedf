// Letterbox geometry <-> plain JS object {sourceWidth, sourceHeight, inputWidth, inputHeight, resizedWidth,
// resizedHeight, scale}: JS carries it from preprocess to postprocess untouched.
#pragma once
#include <napi.h>

#include "../core/letterbox.h"
#include "args.h"

namespace retinaface::napi {

inline Napi::Object letterboxToObject(Napi::Env env, const Letterbox& box) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("sourceWidth", box.sourceWidth);
  object.Set("sourceHeight", box.sourceHeight);
  object.Set("inputWidth", box.inputWidth);
  object.Set("inputHeight", box.inputHeight);
  object.Set("resizedWidth", box.resizedWidth);
  object.Set("resizedHeight", box.resizedHeight);
  object.Set("scale", box.scale);
  return object;
}

inline Letterbox letterboxFromObject(const Napi::Value& value) {
  Napi::Object object = objectArg(value, "letterbox");
  constexpr int kMax = 1 << 16;
  Letterbox box;
  box.sourceWidth = intProperty(object, "sourceWidth", 1, kMax);
  box.sourceHeight = intProperty(object, "sourceHeight", 1, kMax);
  box.inputWidth = intProperty(object, "inputWidth", 1, kMax);
  box.inputHeight = intProperty(object, "inputHeight", 1, kMax);
  box.resizedWidth = intProperty(object, "resizedWidth", 1, kMax);
  box.resizedHeight = intProperty(object, "resizedHeight", 1, kMax);
  box.scale = numberProperty(object, "scale");
  if (!(box.scale > 0)) throw CodedError(codes::kInvalidArgument, "letterbox scale must be positive");
  return box;
}

}  // namespace retinaface::napi
