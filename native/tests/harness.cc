// The registry and failure recording shared by every test binary's runner (main.cc, cuda_main.cc).
#include "harness.h"

#include <cstdio>
#include <cstring>
#include <exception>

namespace harness {

std::vector<Case>& registry() {
  static std::vector<Case> cases;
  return cases;
}

int currentFailures = 0;

void fail(const char* file, int line, const std::string& message) {
  ++currentFailures;
  std::printf("    %s:%d: %s\n", file, line, message.c_str());
}

int runAll(int argc, char** argv, const SkipRule& skipBeforeRunning) {
  int passed = 0, failed = 0, skipped = 0;
  for (const Case& c : registry()) {
    if (argc > 1 && !std::strstr(c.name, argv[1])) continue;
    if (const char* why = skipBeforeRunning ? skipBeforeRunning(c) : nullptr) {
      ++skipped;
      std::printf("skip %s (%s)\n", c.name, why);
      continue;
    }
    currentFailures = 0;
    try {
      c.body();
    } catch (const Skip& s) {
      if (currentFailures == 0) {
        ++skipped;
        std::printf("skip %s (%s)\n", c.name, s.reason.c_str());
        continue;
      }
    } catch (const std::exception& e) {
      fail(__FILE__, __LINE__, std::string("uncaught exception: ") + e.what());
    }
    if (currentFailures == 0) {
      ++passed;
      std::printf("ok   %s\n", c.name);
    } else {
      ++failed;
      std::printf("FAIL %s\n", c.name);
    }
    std::fflush(stdout);
  }
  if (skipped > 0) {
    std::printf("%d passed, %d failed, %d skipped\n", passed, failed, skipped);
  } else {
    std::printf("%d passed, %d failed\n", passed, failed);
  }
  return failed == 0 ? 0 : 1;
}

}  // namespace harness
