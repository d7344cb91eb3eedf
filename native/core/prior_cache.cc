#include "prior_cache.h"

namespace retinaface {

namespace {
std::size_t bytesOf(const std::vector<Prior>& priors) { return priors.size() * sizeof(Prior); }
}  // namespace

PriorCache::PriorCache(std::size_t maxSizes, std::size_t maxBytes) : maxSizes_(maxSizes), maxBytes_(maxBytes) {}

std::shared_ptr<const std::vector<Prior>> PriorCache::get(int width, int height) {
  const Key key{width, height};
  {
    std::lock_guard<std::mutex> lock(mutex_);
    auto found = bySize_.find(key);
    if (found != bySize_.end()) {
      recency_.splice(recency_.begin(), recency_, found->second.recency);
      return found->second.priors;
    }
  }
  // Computed outside the lock: a large size takes milliseconds, and other threads' sizes should not wait for it.
  auto priors = std::make_shared<const std::vector<Prior>>(makePriors(width, height));
  const std::size_t size = bytesOf(*priors);
  if (size > maxBytes_ || maxSizes_ == 0) return priors;
  std::lock_guard<std::mutex> lock(mutex_);
  auto found = bySize_.find(key);
  if (found != bySize_.end()) return found->second.priors;  // another thread got there first
  evictWhileOver(maxSizes_ - 1, maxBytes_ - size);
  recency_.push_front(key);
  bySize_.emplace(key, Entry{priors, recency_.begin()});
  bytes_ += size;
  return priors;
}

void PriorCache::evictWhileOver(std::size_t maxSizes, std::size_t maxBytes) {
  while (!recency_.empty() && (bySize_.size() > maxSizes || bytes_ > maxBytes)) {
    auto oldest = bySize_.find(recency_.back());
    bytes_ -= bytesOf(*oldest->second.priors);
    bySize_.erase(oldest);
    recency_.pop_back();
  }
}

std::size_t PriorCache::sizes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bySize_.size();
}

std::size_t PriorCache::bytes() const {
  std::lock_guard<std::mutex> lock(mutex_);
  return bytes_;
}

}  // namespace retinaface
