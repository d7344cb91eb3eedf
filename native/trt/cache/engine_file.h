// The on-disk form of a cached engine: a small header that lets a reader reject a stale, corrupt or foreign file
// before TensorRT ever sees it, followed by the serialized plan.
//
//   offset 0       8 bytes   magic "RFTRTENG"
//          8       u32 LE    format version (1)
//          12      u32 LE    key length K
//          16      K bytes   EngineCacheKey::canonical() of the build that produced the plan
//          16+K    u64 LE    plan size P
//          24+K    32 bytes  sha256 of the plan
//          56+K    P bytes   the plan (ICudaEngine serialization)
#pragma once
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

namespace retinaface::trt {

inline constexpr char kEngineFileMagic[8] = {'R', 'F', 'T', 'R', 'T', 'E', 'N', 'G'};
inline constexpr uint32_t kEngineFileVersion = 1;

std::vector<uint8_t> encodeEngineFile(const std::string& key, const uint8_t* plan, size_t planSize);

struct EngineFileCheck {
  bool valid = false;
  std::string problem;  // why the file cannot be used, when !valid
  size_t planOffset = 0, planSize = 0;
};

// Accepts the file only if every header field matches, the key equals expectedKey byte for byte and the plan's
// checksum is right. Never throws for bad content.
EngineFileCheck checkEngineFile(const std::vector<uint8_t>& file, const std::string& expectedKey);

}  // namespace retinaface::trt
