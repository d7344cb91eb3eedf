// Runner of the CUDA test binary (the harness of harness.h, plus skips): cases named gpu_* need a device and are
// skipped without one; a case may also skip itself (cudatest::Skip). Ends with "N passed, N failed, N skipped";
// skips are not failures, so a machine without a GPU exits 0.
#include <cstdio>
#include <cstring>
#include <exception>

#include "cuda_test_support.h"
#include "harness.h"

// Usage: retinaface_cuda_tests [substring]  (runs the cases whose name contains it)
int main(int argc, char** argv) {
  const bool device = cudatest::deviceAvailable();
  if (!device) std::printf("no CUDA device: skipping every gpu_* case (host-only cases still run)\n");
  int passed = 0, failed = 0, skipped = 0;
  for (const harness::Case& c : harness::registry()) {
    if (argc > 1 && !std::strstr(c.name, argv[1])) continue;
    if (!device && std::strncmp(c.name, cudatest::kGpuPrefix, std::strlen(cudatest::kGpuPrefix)) == 0) {
      ++skipped;
      std::printf("skip %s (no CUDA device)\n", c.name);
      continue;
    }
    harness::currentFailures = 0;
    try {
      c.body();
    } catch (const cudatest::Skip& s) {
      if (harness::currentFailures == 0) {
        ++skipped;
        std::printf("skip %s (%s)\n", c.name, s.reason.c_str());
        continue;
      }
    } catch (const std::exception& e) {
      harness::fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    if (harness::currentFailures == 0) {
      ++passed;
      std::printf("ok   %s\n", c.name);
    } else {
      ++failed;
      std::printf("FAIL %s\n", c.name);
    }
    std::fflush(stdout);
  }
  std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  return failed == 0 ? 0 : 1;
}
