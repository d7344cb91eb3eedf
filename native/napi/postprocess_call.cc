#include "postprocess_call.h"

#include <cstring>
#include <string>
#include <vector>

#include "../core/postprocess.h"
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
    Napi::Object outputs = objectArg(info[0], "outputs");
    Napi::TypedArray loc = typedArray(outputs.Get("loc"), napi_float32_array, "outputs.loc");
    Napi::TypedArray conf = typedArray(outputs.Get("conf"), napi_float32_array, "outputs.conf");
    Napi::TypedArray landms = typedArray(outputs.Get("landms"), napi_float32_array, "outputs.landms");
    if (!info[1].IsArray() || info[1].As<Napi::Array>().Length() == 0)
      throw CodedError(codes::kInvalidArgument, "letterboxes must be a non-empty array");
    Napi::Array list = info[1].As<Napi::Array>();
    std::vector<Letterbox> boxes;
    for (uint32_t i = 0; i < list.Length(); ++i) boxes.push_back(letterboxFromObject(list.Get(i)));
    for (const Letterbox& box : boxes) {
      if (box.inputWidth != boxes[0].inputWidth || box.inputHeight != boxes[0].inputHeight)
        throw CodedError(codes::kInvalidArgument, "all images of a batch must share one input size");
    }
    const PostprocessOptions options = postprocessOptionsArg(info[2]);

    auto priors = priorCache().get(boxes[0].inputWidth, boxes[0].inputHeight);
    const size_t n = priors->size(), batch = boxes.size();
    if (loc.ElementLength() != batch * n * 4 || conf.ElementLength() != batch * n * 2 ||
        landms.ElementLength() != batch * n * 10) {
      throw CodedError(codes::kModelOutputMismatch,
                       "model outputs do not fit a RetinaFace head for a " + std::to_string(batch) + "x3x" +
                           std::to_string(boxes[0].inputHeight) + "x" + std::to_string(boxes[0].inputWidth) +
                           " input: expected " + std::to_string(n) + " priors per image (loc " +
                           std::to_string(batch * n * 4) + ", conf " + std::to_string(batch * n * 2) + ", landms " +
                           std::to_string(batch * n * 10) + " floats), got loc " + std::to_string(loc.ElementLength()) +
                           ", conf " + std::to_string(conf.ElementLength()) + ", landms " +
                           std::to_string(landms.ElementLength()));
    }
    RawOutputs raw{typedArrayData<float>(loc), typedArrayData<float>(conf), typedArrayData<float>(landms)};
    std::vector<std::vector<Face>> faces;
    faces.reserve(batch);
    for (size_t i = 0; i < batch; ++i) {
      RawOutputs image{raw.loc + i * n * 4, raw.conf + i * n * 2, raw.landms + i * n * 10};
      faces.push_back(postprocessImage(image, *priors, boxes[i], options));
    }
    return packFaces(env, faces);
  });
}

}  // namespace retinaface::napi
