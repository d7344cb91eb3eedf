// Reading caller pixels ({data, width, height, channels}) into a PixelView: one reader, one set of bounds, for every
// call that takes images (preprocess, align).
#pragma once
#include <napi.h>

#include <string>

#include "../core/preprocess.h"
#include "args.h"

namespace retinaface::napi {

// Largest image side any call accepts (the native letterbox's limit; lib/image.ts checks it first).
constexpr int kMaxImageSide = 1 << 16;

// `what` names the object in messages ("image", "images[]"). The returned view points into `data`, which the caller
// keeps alive (a Napi::Reference) for as long as the view is used.
inline PixelView pixelViewArg(const Napi::Object& image, const std::string& what, Napi::TypedArray& data) {
  data = typedArray(image.Get("data"), napi_uint8_array, what + ".data");
  PixelView view;
  view.width = intProperty(image, "width", 1, kMaxImageSide);
  view.height = intProperty(image, "height", 1, kMaxImageSide);
  view.channels = intProperty(image, "channels", 1, 4);
  if (view.channels == 2) throw CodedError(codes::kInvalidArgument, "channels must be 1, 3 or 4");
  view.rowStride = view.width * view.channels;
  if (data.ByteLength() < static_cast<size_t>(view.rowStride) * view.height)
    throw CodedError(codes::kInvalidArgument, what + ".data is shorter than width * height * channels");
  view.data = typedArrayData<uint8_t>(data);
  return view;
}

}  // namespace retinaface::napi
