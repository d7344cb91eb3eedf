// Runner of the CUDA test binary: cases named gpu_* need a device and are skipped without one; a case may also skip
// itself (harness::Skip). Skips are not failures, so a machine without a GPU exits 0.
#include <cstdio>
#include <cstring>

#include "cuda_test_support.h"
#include "harness.h"

// Usage: retinaface_cuda_tests [substring]  (runs the cases whose name contains it)
int main(int argc, char** argv) {
  const bool device = cudatest::deviceAvailable();
  if (!device) std::printf("no CUDA device: skipping every gpu_* case (host-only cases still run)\n");
  return harness::runAll(argc, argv, [device](const harness::Case& c) -> const char* {
    const bool needsDevice = std::strncmp(c.name, cudatest::kGpuPrefix, std::strlen(cudatest::kGpuPrefix)) == 0;
    return !device && needsDevice ? "no CUDA device" : nullptr;
  });
}
