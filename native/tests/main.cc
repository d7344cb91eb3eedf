#include <cstdio>
#include <cstring>
#include <exception>

#include "harness.h"

// Usage: retinaface_core_tests [substring]  (runs the cases whose name contains it)
int main(int argc, char** argv) {
  int passed = 0, failed = 0;
  for (const harness::Case& c : harness::registry()) {
    if (argc > 1 && !std::strstr(c.name, argv[1])) continue;
    harness::currentFailures = 0;
    try {
      c.body();
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
  }
  std::printf("%d passed, %d failed\n", passed, failed);
  return failed == 0 ? 0 : 1;
}
