// preprocess(images, canvas, out): letterboxes a batch of uint8 images into one float32 NCHW tensor, on the addon's job
// thread (job_thread.h), not on the JS thread or libuv's pool.
#pragma once
#include <napi.h>

namespace retinaface::napi {

// JS: preprocess(images: {data: Uint8Array, width, height, channels}[], canvas: {width, height} | null,
//                out: Float32Array) => Promise<Letterbox[]>. A null canvas means original size (one image).
Napi::Value preprocess(const Napi::CallbackInfo& info);

}  // namespace retinaface::napi
