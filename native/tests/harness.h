// A minimal test harness for the C++ test binary: TEST(name) registers a case, CHECK* record failures.
// The binary prints one line per failure and a closing "N passed, N failed" line.
#pragma once
#include <cmath>
#include <functional>
#include <sstream>
#include <string>
#include <vector>

namespace harness {

struct Case {
  const char* name;
  std::function<void()> body;
};

std::vector<Case>& registry();

// Thrown by a case that cannot run here (no device, no reference data); counted as skipped, not failed.
struct Skip {
  std::string reason;
};

// Why a case is skipped before it runs, or nullptr to run it.
using SkipRule = std::function<const char*(const Case&)>;

// Runs the registered cases whose name contains argv[1] (all without it), printing one line per case and a closing
// "N passed, N failed" (", N skipped" when any were); returns the process exit code.
int runAll(int argc, char** argv, const SkipRule& skipBeforeRunning = nullptr);
void fail(const char* file, int line, const std::string& message);
// Failures recorded in the running case (runners reset it before each case).
extern int currentFailures;

struct Registrar {
  Registrar(const char* name, std::function<void()> body) { registry().push_back({name, std::move(body)}); }
};

}  // namespace harness

#define HARNESS_CONCAT2(a, b) a##b
#define HARNESS_CONCAT(a, b) HARNESS_CONCAT2(a, b)
#define TEST(name)                                                                                \
  static void HARNESS_CONCAT(test_, name)();                                                      \
  static harness::Registrar HARNESS_CONCAT(registrar_, name)(#name, HARNESS_CONCAT(test_, name)); \
  static void HARNESS_CONCAT(test_, name)()

#define CHECK(cond)                                                     \
  do {                                                                  \
    if (!(cond)) harness::fail(__FILE__, __LINE__, "CHECK(" #cond ")"); \
  } while (0)

#define CHECK_EQ(a, b)                                         \
  do {                                                         \
    const auto& va_ = (a);                                     \
    const auto& vb_ = (b);                                     \
    if (!(va_ == vb_)) {                                       \
      std::ostringstream os_;                                  \
      os_ << #a " == " #b " (" << va_ << " vs " << vb_ << ")"; \
      harness::fail(__FILE__, __LINE__, os_.str());            \
    }                                                          \
  } while (0)

#define CHECK_NEAR(a, b, tol)                                                             \
  do {                                                                                    \
    const double va_ = (a), vb_ = (b);                                                    \
    if (!(std::fabs(va_ - vb_) <= (tol))) {                                               \
      std::ostringstream os_;                                                             \
      os_ << #a " ~= " #b " (" << va_ << " vs " << vb_ << ", tolerance " << (tol) << ")"; \
      harness::fail(__FILE__, __LINE__, os_.str());                                       \
    }                                                                                     \
  } while (0)

#define CHECK_THROWS(expr)                                                           \
  do {                                                                               \
    bool threw_ = false;                                                             \
    try {                                                                            \
      (void)(expr);                                                                  \
    } catch (...) {                                                                  \
      threw_ = true;                                                                 \
    }                                                                                \
    if (!threw_) harness::fail(__FILE__, __LINE__, "expected an exception: " #expr); \
  } while (0)
