// alignFaces(image, landmarks, size, out): ArcFace-aligned crops of one image's faces (native/core/face_align.h).
// The transforms are estimated on the JS thread (microseconds; bad landmarks reject at once), the warps run on the
// addon's job thread (job_thread.h) like letterboxing, so a large crop size never blocks the JS thread.
#pragma once
#include <napi.h>

namespace retinaface::napi {

// JS: alignFaces(image: {data: Uint8Array, width, height, channels: 1 | 3 | 4}, landmarks: Float64Array (10 per
//     face: x0, y0, ..., x4, y4), size: integer in [16, 1024], out: Uint8Array[] (one per face, size * size * 3))
//     => Promise<Float64Array> (12 per face: the 2x3 matrix, source -> crop, then its inverse, row-major).
Napi::Value alignFaces(const Napi::CallbackInfo& info);

}  // namespace retinaface::napi
