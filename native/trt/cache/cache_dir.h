// Where engines and timing caches are kept: $RETINAFACE_HOME, else $XDG_CACHE_HOME/retinaface-trt, else
// $HOME/.cache/retinaface-trt (the same root as lib/models/cache-dir.ts on Linux), in its "engines" folder.
#pragma once
#include <functional>
#include <string>

namespace retinaface::trt {

// Returns the value of an environment variable or nullptr; injectable so tests need not touch the real environment.
using EnvironmentLookup = std::function<const char*(const char*)>;

EnvironmentLookup processEnvironment();
std::string cacheRoot(const EnvironmentLookup& environment = processEnvironment());
std::string engineCacheDir(const EnvironmentLookup& environment = processEnvironment());

}  // namespace retinaface::trt
