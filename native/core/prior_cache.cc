#include "prior_cache.h"

namespace retinaface {

std::shared_ptr<const std::vector<Prior>> PriorCache::get(int width, int height) {
  std::lock_guard<std::mutex> lock(mutex_);
  auto& slot = bySize_[{width, height}];
  if (!slot) slot = std::make_shared<const std::vector<Prior>>(makePriors(width, height));
  return slot;
}

}  // namespace retinaface
