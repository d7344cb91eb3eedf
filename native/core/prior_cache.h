// Priors are the same for every image of a given input size: compute them once per size, share them across threads.
#pragma once
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "priors.h"

namespace retinaface {

class PriorCache {
 public:
  // The returned priors stay valid as long as the cache (or the caller's copy of the pointer) lives.
  std::shared_ptr<const std::vector<Prior>> get(int width, int height);

 private:
  std::mutex mutex_;
  std::map<std::pair<int, int>, std::shared_ptr<const std::vector<Prior>>> bySize_;
};

}  // namespace retinaface
