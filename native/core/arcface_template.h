// The five-point ArcFace template that face crops are aligned to, for any crop size.
#pragma once

namespace retinaface {

// Landmark order: image-left eye, image-right eye, nose tip, image-left mouth corner, image-right mouth corner.
constexpr int kAlignPoints = 5;

// insightface's arcface_dst for a 112x112 crop (float32 there, as here).
constexpr float kArcfaceTemplate112[kAlignPoints][2] = {
    {38.2946f, 51.6963f}, {73.5318f, 51.5014f}, {56.0252f, 71.7366f}, {41.5493f, 92.3655f}, {70.7299f, 92.2041f}};

// The template for a size x size crop, as insightface's face_align.estimate_norm scales it, in float32:
// a multiple of 112 scales it by size/112; otherwise a multiple of 128 scales it by size/128 and shifts x by
// 8 * size/128 (the 112-wide template centred in a 128-wide crop, not shifted in y). Any other size (insightface
// asserts) scales by size/112 like the first case.
void arcfaceTemplate(int size, float out[kAlignPoints][2]);

}  // namespace retinaface
