// glibc floor (see glibc_floor.S): the static libstdc++ of GCC 12 reads std::random_device's entropy through
// arc4random, new in glibc 2.36. Our own hidden definition satisfies that reference; it reads getrandom (glibc 2.25,
// Linux 3.17), which is what glibc's arc4random does too.
#include <sys/random.h>

#include <cerrno>
#include <cstdint>
#include <cstdlib>

extern "C" __attribute__((visibility("hidden"))) uint32_t arc4random(void) noexcept {
  uint32_t value = 0;
  for (;;) {
    ssize_t got = getrandom(&value, sizeof value, 0);
    if (got == static_cast<ssize_t>(sizeof value)) return value;
    if (got < 0 && errno != EINTR) abort();  // no entropy source at all: as glibc's own arc4random does
  }
}
