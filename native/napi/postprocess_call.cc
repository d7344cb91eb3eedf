#include "postprocess_call.h"

#include <cstring>
#include <vector>

#include "../core/batch_postprocess.h"
#include "../core/prior_cache.h"
#include "args.h"
#include "js_error.h"
#include "letterbox_object.h"
#include "postprocess_options_arg.h"

namespace retinaface::napi {

namespace {

PriorCache& priorCache() {
  static PriorCache cache;
  return cache;
}

// Faces of every image, packed for JS: 15 floats a face, and the count per image.
Napi::Value packFaces(Napi::Env env, const std::vector<std::vector<Face>>& faces) {
  size_t total = 0;
  for (const auto& f : faces) total += f.size();
  Napi::Float32Array flat = Napi::Float32Array::New(env, total * kFaceFloats);
  Napi::Int32Array counts = Napi::Int32Array::New(env, faces.size());
  float* dst = flat.Data();
  for (size_t i = 0; i < faces.size(); ++i) {
    counts[i] = static_cast<int32_t>(faces[i].size());
    static_assert(sizeof(Face) == kFaceFloats * sizeof(float), "Face must be tightly packed floats");
    if (!faces[i].empty()) std::memcpy(dst, faces[i].data(), faces[i].size() * sizeof(Face));
    dst += faces[i].size() * kFaceFloats;
  }
  Napi::Object out = Napi::Object::New(env);
  out.Set("faces", flat);
  out.Set("counts", counts);
  return out;
}

}  // namespace

Napi::Value postprocess(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  return withTypedErrors(env, [&]() -> Napi::Value {
    Napi::Object arrays = objectArg(info[0], "outputs");
    Napi::TypedArray loc = typedArray(arrays.Get("loc"), napi_float32_array, "outputs.loc");
    Napi::TypedArray conf = typedArray(arrays.Get("conf"), napi_float32_array, "outputs.conf");
    Napi::TypedArray landms = typedArray(arrays.Get("landms"), napi_float32_array, "outputs.landms");
    if (!info[1].IsArray() || info[1].As<Napi::Array>().Length() == 0)
      throw CodedError(codes::kInvalidArgument, "letterboxes must be a non-empty array");
    Napi::Array list = info[1].As<Napi::Array>();
    std::vector<Letterbox> boxes;
    for (uint32_t i = 0; i < list.Length(); ++i) boxes.push_back(letterboxFromObject(list.Get(i)));
    const PostprocessOptions options = postprocessOptionsArg(info[2]);
    const BatchOutputs outputs{typedArrayData<float>(loc), loc.ElementLength(),           typedArrayData<float>(conf),
                               conf.ElementLength(),       typedArrayData<float>(landms), landms.ElementLength()};
    return packFaces(env, postprocessBatch(outputs, boxes, options, priorCache()));
  });
}

}  // namespace retinaface::napi
