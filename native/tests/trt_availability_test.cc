// Which piece is missing, in words: the probe's explanation for every combination, and the layer loader on fake
// layer libraries (working, missing its libnvinfer, not a layer at all).
#include <dlfcn.h>

#include <string>

#include "harness.h"
#include "trt/layer/layer_loader.h"
#include "trt/probe/availability.h"
#include "trt_test_support.h"

using namespace retinaface::trt;

namespace {

const std::string kLayers = RETINAFACE_TRT_TEST_LAYERS;

AvailabilityFacts noTensorRt() {
  AvailabilityFacts facts;
  facts.cudaKernels = true;
  facts.driver.loaded = true;
  facts.driver.deviceCount = 1;
  facts.layer.attempts = {{11, "/addon/libretinaface_trt11.so", false, "not built"},
                          {10, "/addon/libretinaface_trt10.so", false, "not built"}};
  facts.libraries = {{"libnvinfer.so.11", false, "libnvinfer.so.11: cannot open shared object file"},
                     {"libnvinfer.so.10", false, "libnvinfer.so.10: cannot open shared object file"}};
  return facts;
}

bool has(const Availability& a, const std::string& piece) {
  for (const std::string& m : a.missing)
    if (m == piece) return true;
  return false;
}

}  // namespace

TEST(trt_availability_names_each_missing_piece) {
  AvailabilityFacts facts = noTensorRt();
  Availability a = explainAvailability(facts);
  CHECK(!a.available);
  CHECK(has(a, "tensorrt-library"));
  CHECK_EQ(a.missing.size(), 1u);
  CHECK(a.reason.find("libnvinfer.so.11 / libnvinfer.so.10 not found") != std::string::npos);

  facts.driver = DriverProbe{};
  facts.driver.error = "libcuda.so.1 could not be loaded (libcuda.so.1: cannot open shared object file)";
  facts.cudaKernels = false;
  a = explainAvailability(facts);
  CHECK(has(a, "tensorrt-library") && has(a, "nvidia-driver") && has(a, "cuda-kernels"));
  CHECK(a.reason.find("no NVIDIA driver (libcuda.so.1") != std::string::npos);
  CHECK(a.reason.find("compiled without CUDA") != std::string::npos);

  facts = noTensorRt();
  facts.driver.deviceCount = 0;
  facts.driver.error = "the NVIDIA driver reports no CUDA device";
  a = explainAvailability(facts);
  CHECK(has(a, "gpu"));
  CHECK(a.reason.find("no CUDA GPU") != std::string::npos);
}

TEST(trt_availability_tells_a_missing_layer_from_a_missing_library) {
  AvailabilityFacts facts = noTensorRt();
  facts.libraries[1].loadable = true;  // TensorRT 10 installed, but this build has no layer for it
  Availability a = explainAvailability(facts);
  CHECK(has(a, "tensorrt-layer"));
  CHECK(!has(a, "tensorrt-library"));
  CHECK(a.reason.find("-DRETINAFACE_TENSORRT_10_INCLUDE") != std::string::npos);

  facts.layer.attempts[1].present = true;  // the layer is there but refused the installed library
  facts.layer.attempts[1].error =
      "libnvinfer.so.10 is TensorRT 10.8.0, but this layer was compiled against the 10.16.0 headers";
  a = explainAvailability(facts);
  CHECK(has(a, "tensorrt-library"));
  CHECK(a.reason.find("10.8.0") != std::string::npos);
}

TEST(trt_layer_loader_finds_nothing_in_an_empty_folder) {
  trttest::TempDir dir;
  const LayerProbe probe = loadTensorRtLayer(dir.path());
  CHECK(probe.api == nullptr);
  CHECK_EQ(probe.attempts.size(), 2u);
  CHECK_EQ(probe.attempts[0].major, 11);
  CHECK(!probe.attempts[0].present);
  CHECK(probe.attempts[1].error.find("not built") != std::string::npos);
}

TEST(trt_layer_loader_falls_back_to_the_older_major) {
  // mixed/: libretinaface_trt11.so cannot find its libnvinfer.so.11, libretinaface_trt10.so works.
  const LayerProbe probe = loadTensorRtLayer(kLayers + "/mixed");
  CHECK(probe.api != nullptr);
  CHECK_EQ(probe.major, 10);
  CHECK_EQ(probe.attempts.size(), 2u);
  CHECK(probe.attempts[0].present);
  CHECK(probe.attempts[0].error.find("libnvinfer.so.11") != std::string::npos);
  CHECK(probe.attempts[1].error.empty());
  CHECK_EQ(probe.api->abiVersion, RFTRT_ABI_VERSION);
  CHECK_EQ(tensorRtVersionText(probe.api->libraryVersion), std::string("10.16.1"));
}

TEST(trt_layer_loader_rejects_a_library_that_is_not_a_layer) {
  const LayerProbe probe = loadTensorRtLayer(kLayers + "/broken", {11});
  CHECK(probe.api == nullptr);
  CHECK(probe.attempts[0].present);
  CHECK(probe.attempts[0].error.find("not a TensorRT layer") != std::string::npos);
}

TEST(trt_availability_probe_runs_on_this_machine) {
  // Whatever this machine has, the probe answers without throwing and explains itself when unavailable.
  const Availability a = probeAvailability(kLayers + "/mixed", true);
  if (!a.available) CHECK(!a.reason.empty());
  CHECK_EQ(a.major, 10);  // the fake layer loaded, so the library side is settled
  CHECK_EQ(a.libraryPath, std::string("/fake/libnvinfer.so.10"));
}
