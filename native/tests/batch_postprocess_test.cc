// A batch's outputs split per image and checked against the RetinaFace head (core/batch_postprocess.h).
#include <functional>
#include <string>
#include <vector>

#include "core/batch_postprocess.h"
#include "core/priors.h"
#include "coded_error_support.h"
#include "harness.h"

using namespace retinaface;
using codedtest::errorOf;

namespace {

// Flat outputs of `batch` images of `priors` priors each; image i scores `0.5 + 0.1 * i` at prior i, 0 elsewhere.
struct FlatBatch {
  std::vector<float> loc, conf, landms;
  FlatBatch(size_t batch, size_t priors)
      : loc(batch * priors * 4, 0.0f), conf(batch * priors * 2), landms(batch * priors * 10, 0.0f) {
    for (size_t i = 0; i < batch * priors; ++i) conf[2 * i] = 1.0f;
    for (size_t image = 0; image < batch; ++image) {
      const size_t row = image * priors + image;
      conf[2 * row] = 0.5f - 0.1f * static_cast<float>(image);
      conf[2 * row + 1] = 0.5f + 0.1f * static_cast<float>(image);
    }
  }
  BatchOutputs view() const { return {loc.data(), loc.size(), conf.data(), conf.size(), landms.data(), landms.size()}; }
};

bool startsWith(const std::string& text, const char* prefix) { return text.rfind(prefix, 0) == 0; }

}  // namespace

TEST(batch_outputs_split_into_one_view_per_image) {
  const FlatBatch flat(3, 6);
  const std::vector<RawOutputs> images = splitBatchOutputs(flat.view(), 3, 6, 1, 1);
  CHECK_EQ(images.size(), static_cast<size_t>(3));
  for (size_t i = 0; i < images.size(); ++i) {
    CHECK(images[i].loc == flat.loc.data() + i * 6 * 4);
    CHECK(images[i].conf == flat.conf.data() + i * 6 * 2);
    CHECK(images[i].landms == flat.landms.data() + i * 6 * 10);
  }
}

TEST(batch_outputs_of_the_wrong_size_are_a_model_output_mismatch) {
  const FlatBatch flat(2, 6);
  CHECK_EQ(errorOf([&] { splitBatchOutputs(flat.view(), 2, 6, 1, 1); }), std::string("none"));
  CHECK_EQ(errorOf([&] { splitBatchOutputs(flat.view(), 3, 6, 4, 2); }),
           std::string("MODEL_OUTPUT_MISMATCH: model outputs do not fit a RetinaFace head for a 3x3x2x4 input: "
                       "expected 6 priors per image (loc 72, conf 36, landms 180 floats), got loc 48, conf 24, "
                       "landms 120"));
  CHECK(startsWith(errorOf([&] { splitBatchOutputs(flat.view(), 2, 7, 1, 1); }), "MODEL_OUTPUT_MISMATCH: "));
  const auto withSizes = [&](size_t loc, size_t conf, size_t landms) {
    BatchOutputs outputs = flat.view();
    outputs.locFloats = loc;
    outputs.confFloats = conf;
    outputs.landmsFloats = landms;
    return errorOf([&] { splitBatchOutputs(outputs, 2, 6, 1, 1); });
  };
  CHECK(startsWith(withSizes(47, 24, 120), "MODEL_OUTPUT_MISMATCH: "));  // loc one float short
  CHECK(startsWith(withSizes(48, 25, 120), "MODEL_OUTPUT_MISMATCH: "));  // conf one float long
  CHECK(startsWith(withSizes(48, 24, 60), "MODEL_OUTPUT_MISMATCH: "));   // landms of one image only
  CHECK(startsWith(withSizes(0, 0, 0), "MODEL_OUTPUT_MISMATCH: "));      // nothing at all
}

TEST(batch_postprocess_matches_postprocess_image_per_image) {
  const int width = 32, height = 32;
  const std::vector<Prior> priors = makePriors(width, height);
  const FlatBatch flat(3, priors.size());
  const std::vector<Letterbox> boxes = {computeLetterbox(64, 48, width, height), identityLetterbox(width, height),
                                        computeLetterbox(20, 40, width, height)};
  PostprocessOptions options;
  options.scoreThreshold = 0.4f;
  PriorCache cache;
  const std::vector<std::vector<Face>> faces = postprocessBatch(flat.view(), boxes, options, cache);
  CHECK_EQ(faces.size(), static_cast<size_t>(3));
  const std::vector<RawOutputs> images = splitBatchOutputs(flat.view(), 3, priors.size(), width, height);
  for (size_t i = 0; i < faces.size(); ++i) {
    const std::vector<Face> alone = postprocessImage(images[i], priors, boxes[i], options);
    CHECK_EQ(faces[i].size(), static_cast<size_t>(1));
    CHECK_EQ(faces[i].size(), alone.size());
    for (size_t f = 0; f < faces[i].size() && f < alone.size(); ++f) {
      CHECK_EQ(faces[i][f].score, alone[f].score);
      CHECK_EQ(faces[i][f].x1, alone[f].x1);
      CHECK_EQ(faces[i][f].y2, alone[f].y2);
    }
  }
}

TEST(batch_postprocess_refuses_mixed_input_sizes_and_wrong_outputs) {
  const int priors = priorCount(32, 32);
  const FlatBatch flat(2, static_cast<size_t>(priors));
  PostprocessOptions options;
  PriorCache cache;
  const std::vector<Letterbox> mixed = {identityLetterbox(32, 32), identityLetterbox(32, 64)};
  CHECK_EQ(errorOf([&] { postprocessBatch(flat.view(), mixed, options, cache); }),
           std::string("INVALID_ARGUMENT: all images of a batch must share one input size"));
  CHECK(startsWith(errorOf([&] { postprocessBatch(flat.view(), {}, options, cache); }), "INVALID_ARGUMENT: "));
  const std::vector<Letterbox> three(3, identityLetterbox(32, 32));  // outputs of two images for three
  CHECK(startsWith(errorOf([&] { postprocessBatch(flat.view(), three, options, cache); }), "MODEL_OUTPUT_MISMATCH: "));
  const std::vector<Letterbox> larger(2, identityLetterbox(64, 64));  // outputs of a smaller input
  CHECK(startsWith(errorOf([&] { postprocessBatch(flat.view(), larger, options, cache); }), "MODEL_OUTPUT_MISMATCH: "));
}
