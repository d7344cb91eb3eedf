// postprocess(outputs, letterboxes, options): decode + NMS for a batch of raw network outputs, off the JS thread.
#pragma once
#include <napi.h>

namespace retinaface::napi {

// JS: postprocess({loc, conf, landms: Float32Array}, letterboxes: Letterbox[], options) =>
//     Promise<{faces: Float32Array (15 floats a face), counts: Int32Array (faces per image)}>.
// All images of the batch share the letterboxes' input size; options: {scoreThreshold, nmsThreshold,
// preNmsTopK, maxFaces, clip}.
Napi::Value postprocess(const Napi::CallbackInfo& info);

}  // namespace retinaface::napi
