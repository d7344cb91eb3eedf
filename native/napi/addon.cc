// Module entry: the N-API surface is a handful of functions; all logic lives in native/core.
#include <napi.h>

#include <iterator>

#include "../core/error_codes.h"
#include "align_call.h"
#include "postprocess_call.h"
#include "preprocess_call.h"
#include "trt_probe.h"
#ifdef RETINAFACE_WITH_CUDA
#include "cuda_info.h"
#include "trt_session.h"
#endif

namespace retinaface::napi {

namespace {

// Every code a native error can carry (test/native-error-codes.test.ts checks them against lib/errors.ts).
Napi::Array errorCodeList(Napi::Env env) {
  Napi::Array list = Napi::Array::New(env, std::size(codes::kAll));
  for (size_t i = 0; i < std::size(codes::kAll); ++i) list.Set(static_cast<uint32_t>(i), codes::kAll[i]);
  return list;
}

}  // namespace

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("preprocess", Napi::Function::New(env, preprocess, "preprocess"));
  exports.Set("postprocess", Napi::Function::New(env, postprocess, "postprocess"));
  exports.Set("alignFaces", Napi::Function::New(env, alignFaces, "alignFaces"));
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  exports.Set("errorCodes", errorCodeList(env));
  exports.Set("trtProbe", Napi::Function::New(env, trtProbe, "trtProbe"));
#ifdef RETINAFACE_WITH_CUDA
  exports.Set("cudaInfo", Napi::Function::New(env, cudaInfo, "cudaInfo"));
  exports.Set("trtOpen", Napi::Function::New(env, trtOpen, "trtOpen"));
#endif
  return exports;
}

}  // namespace retinaface::napi

// The macro pastes its argument into identifiers, so it needs an unqualified name.
static Napi::Object InitRetinaface(Napi::Env env, Napi::Object exports) { return retinaface::napi::init(env, exports); }
NODE_API_MODULE(retinaface, InitRetinaface)
