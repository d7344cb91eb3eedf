// Matching an engine's tensors to RetinaFace's input and heads by shape, and the output-size check that runs
// before anything is enqueued.
#include <string>

#include "core/coded_error.h"
#include "harness.h"
#include "trt/engine/engine_tensors.h"
#include "trt_test_support.h"

using namespace retinaface;
using namespace retinaface::trt;
using trttest::codeOf;

namespace {

EngineDescription describe(std::vector<TensorDescription> tensors) {
  EngineDescription d;
  d.tensors = std::move(tensors);
  return d;
}

}  // namespace

TEST(trt_tensors_are_matched_by_shape_not_name) {
  // The upstream export's auto-numbered names, outputs in conf, loc, landms order.
  const EngineTensorRoles roles = mapEngineTensors(describe({{"input0", true, TensorType::Float32, {1, 3, 640, 640}},
                                                             {"593", false, TensorType::Float32, {1, 16800, 2}},
                                                             {"output0", false, TensorType::Float32, {1, 16800, 4}},
                                                             {"592", false, TensorType::Float32, {1, 16800, 10}}}));
  CHECK_EQ(roles.input, std::string("input0"));
  CHECK_EQ(roles.loc, std::string("output0"));
  CHECK_EQ(roles.conf, std::string("593"));
  CHECK_EQ(roles.landms, std::string("592"));
  CHECK(roles.inputType == TensorType::Float32);
  // A half input (a fully FP16 export) is accepted; the preprocessing kernel then writes halves.
  const EngineTensorRoles half = mapEngineTensors(describe({{"x", true, TensorType::Float16, {-1, 3, -1, -1}},
                                                            {"a", false, TensorType::Float32, {-1, -1, 4}},
                                                            {"b", false, TensorType::Float32, {-1, -1, 2}},
                                                            {"c", false, TensorType::Float32, {-1, -1, 10}}}));
  CHECK(half.inputType == TensorType::Float16);
}

TEST(trt_tensors_reject_what_is_not_retinaface) {
  const TensorDescription input{"input0", true, TensorType::Float32, {-1, 3, -1, -1}};
  const TensorDescription loc{"loc", false, TensorType::Float32, {-1, -1, 4}};
  const TensorDescription conf{"conf", false, TensorType::Float32, {-1, -1, 2}};
  const TensorDescription landms{"landms", false, TensorType::Float32, {-1, -1, 10}};
  const auto invalid = [](std::vector<TensorDescription> tensors) {
    return codeOf([&] { mapEngineTensors(describe(tensors)); }) == std::string(codes::kModelInvalid);
  };
  CHECK(invalid({input, loc, conf}));                       // a head missing
  CHECK(invalid({input, loc, conf, landms, landms}));       // one too many
  CHECK(invalid({input, input, loc, conf, landms}));        // two inputs
  CHECK(invalid({input, loc, loc, landms}));                // two loc heads
  TensorDescription halfOut = conf;
  halfOut.type = TensorType::Float16;  // outputs must stay float32 (the FP16 rewrite keeps them)
  CHECK(invalid({input, loc, halfOut, landms}));
  TensorDescription gray = input;
  gray.shape = {-1, 1, -1, -1};
  CHECK(invalid({gray, loc, conf, landms}));
  TensorDescription wide = loc;
  wide.shape = {-1, -1, 16};  // a single concatenated head
  CHECK(invalid({input, wide}));
  try {
    mapEngineTensors(describe({input, wide}));
  } catch (const CodedError& e) {
    CHECK(std::string(e.what()).find("output loc: float32 [?, ?, 16]") != std::string::npos);
  }
}

TEST(trt_output_shapes_are_checked_against_the_anchors) {
  checkOutputShape("loc", {2, 16800, 4}, 2, 16800, 4);  // no throw
  CHECK_EQ(codeOf([] { checkOutputShape("loc", {2, 16801, 4}, 2, 16800, 4); }),
           std::string(codes::kModelOutputMismatch));
  CHECK_EQ(codeOf([] { checkOutputShape("loc", {1, 16800, 4}, 2, 16800, 4); }),
           std::string(codes::kModelOutputMismatch));
  CHECK_EQ(codeOf([] { checkOutputShape("loc", {2, -1, 4}, 2, 16800, 4); }), std::string(codes::kModelOutputMismatch));
  CHECK_EQ(codeOf([] { checkOutputShape("loc", {2, 16800}, 2, 16800, 4); }), std::string(codes::kModelOutputMismatch));
}
