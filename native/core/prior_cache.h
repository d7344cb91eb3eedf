// Priors are the same for every image of a given input size: compute them once per size, share them across threads.
// The cache is bounded: with inputSize 'original' the callers choose the sizes, and every new size used to stay
// (about 3 MB for a 2000x2000 image) for the life of the process.
#pragma once
#include <cstddef>
#include <list>
#include <map>
#include <memory>
#include <mutex>
#include <utility>
#include <vector>

#include "priors.h"

namespace retinaface {

class PriorCache {
 public:
  // Keeps at most `maxSizes` sizes and `maxBytes` of priors, least recently used dropped first. A size whose
  // priors alone exceed `maxBytes` is computed for the caller and not kept.
  explicit PriorCache(std::size_t maxSizes = 32, std::size_t maxBytes = std::size_t{64} << 20);

  // The returned priors stay valid as long as the caller holds the pointer, even after the cache drops them.
  std::shared_ptr<const std::vector<Prior>> get(int width, int height);

  std::size_t sizes() const;
  std::size_t bytes() const;

 private:
  using Key = std::pair<int, int>;
  struct Entry {
    std::shared_ptr<const std::vector<Prior>> priors;
    std::list<Key>::iterator recency;
  };
  void evictWhileOver(std::size_t maxSizes, std::size_t maxBytes);

  const std::size_t maxSizes_;
  const std::size_t maxBytes_;
  mutable std::mutex mutex_;
  std::map<Key, Entry> bySize_;
  std::list<Key> recency_;  // most recently used first
  std::size_t bytes_ = 0;
};

}  // namespace retinaface
