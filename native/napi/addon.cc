// Module entry: the N-API surface is a handful of functions; all logic lives in native/core.
#include <napi.h>

#include "postprocess_worker.h"
#include "preprocess_worker.h"

namespace retinaface::napi {

Napi::Object init(Napi::Env env, Napi::Object exports) {
  exports.Set("preprocess", Napi::Function::New(env, preprocess, "preprocess"));
  exports.Set("postprocess", Napi::Function::New(env, postprocess, "postprocess"));
  exports.Set("napiVersion", Napi::Number::New(env, NAPI_VERSION));
  return exports;
}

}  // namespace retinaface::napi

// The macro pastes its argument into identifiers, so it needs an unqualified name.
static Napi::Object InitRetinaface(Napi::Env env, Napi::Object exports) { return retinaface::napi::init(env, exports); }
NODE_API_MODULE(retinaface, InitRetinaface)
