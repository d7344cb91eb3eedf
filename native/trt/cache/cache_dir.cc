#include "cache_dir.h"

#include <pwd.h>
#include <unistd.h>

#include <cstdlib>

namespace retinaface::trt {

namespace {

bool set(const char* value) { return value && *value; }

// $HOME, else the password database (daemons often run without HOME).
std::string homeDir(const EnvironmentLookup& environment) {
  if (const char* home = environment("HOME"); set(home)) return home;
  if (const passwd* entry = ::getpwuid(::getuid()); entry && set(entry->pw_dir)) return entry->pw_dir;
  return "/tmp";
}

}  // namespace

EnvironmentLookup processEnvironment() {
  return [](const char* name) -> const char* { return std::getenv(name); };
}

std::string cacheRoot(const EnvironmentLookup& environment) {
  if (const char* home = environment("RETINAFACE_HOME"); set(home)) return home;
  if (const char* xdg = environment("XDG_CACHE_HOME"); set(xdg)) return std::string(xdg) + "/retinaface-trt";
  return homeDir(environment) + "/.cache/retinaface-trt";
}

std::string engineCacheDir(const EnvironmentLookup& environment) { return cacheRoot(environment) + "/engines"; }

}  // namespace retinaface::trt
