#include "engine_file.h"

#include <array>
#include <cstring>
#include <sstream>

#include "sha256.h"

namespace retinaface::trt {

namespace {

constexpr size_t kFixedHeader = 8 + 4 + 4;  // magic, version, key length
constexpr size_t kPlanHeader = 8 + 32;      // plan size, checksum

void putLittleEndian(uint8_t* out, uint64_t value, int bytes) {
  for (int i = 0; i < bytes; ++i) out[i] = static_cast<uint8_t>(value >> (8 * i));
}

uint64_t getLittleEndian(const uint8_t* in, int bytes) {
  uint64_t value = 0;
  for (int i = 0; i < bytes; ++i) value |= static_cast<uint64_t>(in[i]) << (8 * i);
  return value;
}

// The first line where two canonical keys differ, e.g. "tensorrt=10.15.1 (this build needs tensorrt=10.16.0)".
std::string firstDifference(const std::string& found, const std::string& expected) {
  std::istringstream a(found), b(expected);
  std::string lineA, lineB;
  while (true) {
    const bool moreA = static_cast<bool>(std::getline(a, lineA));
    const bool moreB = static_cast<bool>(std::getline(b, lineB));
    if (!moreA && !moreB) return "keys differ";
    if (!moreA) lineA = "(nothing)";
    if (!moreB) lineB = "(nothing)";
    if (lineA != lineB) return lineA + " (this build needs " + lineB + ")";
  }
}

}  // namespace

std::vector<uint8_t> encodeEngineFile(const std::string& key, const uint8_t* plan, size_t planSize) {
  // Sized once and filled by offset (vector::insert of the magic trips a GCC 12 -O3 false positive).
  std::vector<uint8_t> out(kFixedHeader + key.size() + kPlanHeader + planSize);
  uint8_t* at = out.data();
  std::memcpy(at, kEngineFileMagic, sizeof(kEngineFileMagic));
  putLittleEndian(at + 8, kEngineFileVersion, 4);
  putLittleEndian(at + 12, key.size(), 4);
  if (!key.empty()) std::memcpy(at + kFixedHeader, key.data(), key.size());
  at += kFixedHeader + key.size();
  putLittleEndian(at, planSize, 8);
  const std::array<uint8_t, 32> checksum = sha256(plan, planSize);
  std::memcpy(at + 8, checksum.data(), checksum.size());
  if (planSize > 0) std::memcpy(at + kPlanHeader, plan, planSize);
  return out;
}

EngineFileCheck checkEngineFile(const std::vector<uint8_t>& file, const std::string& expectedKey) {
  EngineFileCheck check;
  const auto reject = [&](const std::string& problem) {
    check.problem = problem;
    return check;
  };
  if (file.size() < kFixedHeader) return reject("too short for an engine file header");
  if (std::memcmp(file.data(), kEngineFileMagic, sizeof(kEngineFileMagic)) != 0)
    return reject("not a retinaface engine file (bad magic)");
  const uint64_t version = getLittleEndian(file.data() + 8, 4);
  if (version != kEngineFileVersion)
    return reject("engine file format " + std::to_string(version) + " (this build reads " +
                  std::to_string(kEngineFileVersion) + ")");
  const uint64_t keyLength = getLittleEndian(file.data() + 12, 4);
  if (keyLength > file.size() - kFixedHeader || file.size() - kFixedHeader - keyLength < kPlanHeader)
    return reject("truncated header");
  const std::string key(reinterpret_cast<const char*>(file.data() + kFixedHeader), keyLength);
  if (key != expectedKey) return reject("built for another configuration: " + firstDifference(key, expectedKey));
  const uint8_t* planHeader = file.data() + kFixedHeader + keyLength;
  const uint64_t planSize = getLittleEndian(planHeader, 8);
  const size_t planOffset = kFixedHeader + keyLength + kPlanHeader;
  const size_t available = file.size() - planOffset;
  if (planSize != available)
    return reject(planSize > available ? "truncated: the header announces " + std::to_string(planSize) +
                                             " plan bytes, the file holds " + std::to_string(available)
                                       : "trailing bytes after the plan");
  const std::array<uint8_t, 32> checksum = sha256(file.data() + planOffset, planSize);
  if (std::memcmp(checksum.data(), planHeader + 8, 32) != 0) return reject("plan checksum mismatch (corrupt file)");
  check.valid = true;
  check.planOffset = planOffset;
  check.planSize = planSize;
  return check;
}

}  // namespace retinaface::trt
