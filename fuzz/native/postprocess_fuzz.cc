// libFuzzer target: decode + NMS (native/core/postprocess.h) with hostile tensors and options.
//
// The N-API layer and the batch split (native/napi/postprocess_call.cc, letterbox_object.h,
// postprocess_options_arg.h, native/core/batch_postprocess.cc) check only that the three output arrays have exactly
// priors * 4 / 2 / 10 floats, that every letterbox side is in 1..65536, that scale > 0 (so +Inf passes) and that
// preNmsTopK / maxFaces are in 0..2^24; thresholds are any number (NaN included) and the floats are whatever the
// model produced. So here: every float comes straight from the input bits (NaN, Inf, huge, denormal), the letterbox
// is any combination inside those bounds, and the result must still hold:
//   - scores strictly above the threshold, in descending order;
//   - at most preNmsTopK / maxFaces faces when those are set;
//   - no kept face overlaps an earlier kept one by more than the NMS threshold (greedy NMS's own invariant);
//   - clipped boxes inside [0, width] x [0, height] (or NaN: NaN is not clamped, and must not crash);
//   - the prior count matches priorCount().
#include <fuzzer/FuzzedDataProvider.h>

#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <vector>

#include "core/nms.h"
#include "core/postprocess.h"
#include "core/priors.h"

using namespace retinaface;

namespace {

constexpr int kMaxSide = 1 << 16;
// NMS is quadratic in the candidates; keep one input under ~10 ms while still reaching every side length: inputs
// are capped in area (a 65536 x 1 input still has some 29k priors), and above kMaxFreePriors the pre-NMS cap is
// kept at or below kMaxNmsCandidates.
constexpr size_t kMaxInputPixels = 1 << 15;
constexpr size_t kMaxFreePriors = 4096;
constexpr int kMaxNmsCandidates = 2048;

[[noreturn]] void fail(const char* what, const Letterbox& box, const PostprocessOptions& options) {
  std::fprintf(stderr,
               "postprocess_fuzz: %s (input %dx%d, source %dx%d, resized %dx%d, scale %.17g, score %.9g, nms %.9g, "
               "topK %d, maxFaces %d, clip %d)\n",
               what, box.inputWidth, box.inputHeight, box.sourceWidth, box.sourceHeight, box.resizedWidth,
               box.resizedHeight, box.scale, options.scoreThreshold, options.nmsThreshold, options.preNmsTopK,
               options.maxFaces, options.clip ? 1 : 0);
  std::abort();
}

float anyFloat(FuzzedDataProvider& in) {
  switch (in.ConsumeIntegralInRange(0, 7)) {
    case 0: return std::nanf("");
    case 1: return in.ConsumeBool() ? INFINITY : -INFINITY;
    case 2: return in.ConsumeFloatingPointInRange(-1.0f, 1.0f);
    default: {
      const uint32_t bits = in.ConsumeIntegral<uint32_t>();
      float value;
      std::memcpy(&value, &bits, sizeof value);
      return value;
    }
  }
}

int side(FuzzedDataProvider& in, int limit) {
  if (limit <= 1) return 1;
  return in.ConsumeBool() ? in.ConsumeIntegralInRange(1, std::min(limit, 64)) : in.ConsumeIntegralInRange(1, limit);
}

double anyScale(FuzzedDataProvider& in, const Letterbox& box) {
  switch (in.ConsumeIntegralInRange(0, 4)) {
    case 0: return box.scale;
    case 1: return INFINITY;
    case 2: return 4.9406564584124654e-324;  // smallest positive double
    case 3: return in.ConsumeFloatingPointInRange(1e-9, 1e9);
    default: {
      const double value = in.ConsumeFloatingPoint<double>();
      return value > 0 ? value : box.scale;  // the N-API layer refuses scale <= 0 and NaN
    }
  }
}

// Fills n floats: mostly from the input's raw bits, so that every special value appears.
void fill(FuzzedDataProvider& in, std::vector<float>& values) {
  const std::vector<uint8_t> bytes = in.ConsumeBytes<uint8_t>(std::min(in.remaining_bytes(), values.size() * 4));
  const size_t given = bytes.size() / 4;
  for (size_t i = 0; i < values.size(); ++i) {
    if (given) std::memcpy(&values[i], &bytes[(i % given) * 4], 4);
    else values[i] = 0.0f;
  }
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const uint8_t* data, size_t size) {
  FuzzedDataProvider in(data, size);

  const int inputWidth = side(in, kMaxSide);
  const int inputHeight = side(in, static_cast<int>(std::min<size_t>(kMaxSide, kMaxInputPixels / inputWidth)));
  Letterbox box = computeLetterbox(side(in, kMaxSide), side(in, kMaxSide), inputWidth, inputHeight);
  if (in.ConsumeBool()) {
    // JS carries the letterbox object back; a caller may hand in any fields within the bounds.
    box.sourceWidth = side(in, kMaxSide);
    box.sourceHeight = side(in, kMaxSide);
    box.resizedWidth = side(in, kMaxSide);
    box.resizedHeight = side(in, kMaxSide);
    box.scale = anyScale(in, box);
  }

  PostprocessOptions options;
  options.scoreThreshold = in.ConsumeBool() ? anyFloat(in) : in.ConsumeFloatingPointInRange(0.0f, 1.0f);
  options.nmsThreshold = in.ConsumeBool() ? anyFloat(in) : in.ConsumeFloatingPointInRange(0.0f, 1.0f);
  options.preNmsTopK = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange(0, 1 << 24);
  options.maxFaces = in.ConsumeBool() ? 0 : in.ConsumeIntegralInRange(0, 1 << 24);
  options.clip = in.ConsumeBool();

  // Not the addon's PriorCache: it keeps every size it has seen, which a fuzzer would fill with thousands of them.
  const std::vector<Prior> priors = makePriors(box.inputWidth, box.inputHeight);
  const size_t n = priors.size();
  if (n > kMaxFreePriors && (options.preNmsTopK == 0 || options.preNmsTopK > kMaxNmsCandidates))
    options.preNmsTopK = 1 + static_cast<int>(n % kMaxNmsCandidates);
  if (n != static_cast<size_t>(priorCount(box.inputWidth, box.inputHeight))) fail("prior count differs", box, options);

  // Exactly sized, as the N-API layer demands: any read past the end is ASan's.
  std::vector<float> loc(n * 4), conf(n * 2), landms(n * 10);
  fill(in, conf);
  fill(in, loc);
  fill(in, landms);
  const std::vector<Face> faces = postprocessImage({loc.data(), conf.data(), landms.data()}, priors, box, options);

  if (options.preNmsTopK > 0 && faces.size() > static_cast<size_t>(options.preNmsTopK))
    fail("over preNmsTopK", box, options);
  if (options.maxFaces > 0 && faces.size() > static_cast<size_t>(options.maxFaces)) fail("over maxFaces", box, options);
  const float width = static_cast<float>(box.sourceWidth), height = static_cast<float>(box.sourceHeight);
  for (size_t i = 0; i < faces.size(); ++i) {
    const Face& f = faces[i];
    if (!(f.score > options.scoreThreshold)) fail("a face at or below the score threshold", box, options);
    if (i > 0 && f.score > faces[i - 1].score) fail("faces not in descending score order", box, options);
    if (options.clip) {
      for (float x : {f.x1, f.x2})
        if (!std::isnan(x) && !(x >= 0 && x <= width)) fail("clipped x outside the image", box, options);
      for (float y : {f.y1, f.y2})
        if (!std::isnan(y) && !(y >= 0 && y <= height)) fail("clipped y outside the image", box, options);
    }
  }
  // Greedy NMS: a kept face never overlaps an earlier kept one by more than the threshold (checked on the
  // unclipped boxes NMS saw, so with clipping off only).
  if (!options.clip) {
    for (size_t i = 0; i < faces.size(); ++i)
      for (size_t j = 0; j < i; ++j)
        if (iouPlusOne(faces[j], faces[i]) > options.nmsThreshold)
          fail("kept faces overlap above the threshold", box, options);
  }
  return 0;
}
