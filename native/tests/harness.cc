// The registry and failure recording shared by every test binary's runner (main.cc, cuda_main.cc).
#include "harness.h"

#include <cstdio>

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

}  // namespace harness
