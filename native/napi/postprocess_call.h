// postprocess(outputs, letterboxes, options): decode + NMS for a batch of raw network outputs, on the calling thread.
//
// Synchronous on purpose: the work is tens of microseconds per image at the default score threshold (about 0.15 ms
// at 0.02), less than a round trip through a worker thread, and on the CPU backend that round trip's completion
// would sit on the JS thread between two inferences. The TensorRT path decodes on the GPU instead.
#pragma once
#include <napi.h>

namespace retinaface::napi {

// JS: postprocess({loc, conf, landms: Float32Array}, letterboxes: Letterbox[], options) =>
//     {faces: Float32Array (15 floats a face), counts: Int32Array (faces per image)}; throws typed errors.
// All images of the batch share the letterboxes' input size; options: {scoreThreshold, nmsThreshold,
// preNmsTopK, maxFaces, clip}.
Napi::Value postprocess(const Napi::CallbackInfo& info);

}  // namespace retinaface::napi
