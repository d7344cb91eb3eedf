// trtOpen(options, onEvent?) -> Promise<{ info, detect(images, canvas, options), close() }>: a TensorRT detector
// session. Opening (which may build an engine for minutes), every batch's GPU wait and close() run on native
// threads, never on the libuv pool; results come back through one thread-safe function per session, in order.
// Teardown: close() drains and frees everything; an environment cleanup hook, registered after the session's
// thread-safe function so that it runs before that function is torn down, cancels queued batches, finishes running
// ones and frees the GPU resources at exit. Needs the CUDA build.
#pragma once
#include <napi.h>

namespace retinaface::napi {

Napi::Value trtOpen(const Napi::CallbackInfo& info);

}  // namespace retinaface::napi
