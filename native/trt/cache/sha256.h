// SHA-256 (FIPS 180-4), for the engine cache: the ONNX fingerprint in the cache key and the payload checksum in the
// engine file header. Plain C++ so the cache logic is testable anywhere.
#pragma once
#include <array>
#include <cstddef>
#include <cstdint>
#include <string>

namespace retinaface::trt {

class Sha256 {
 public:
  Sha256();
  void update(const void* data, size_t size);
  std::array<uint8_t, 32> finish();  // the object must not be updated afterwards

 private:
  void compress(const uint8_t* block);

  uint32_t state_[8];
  uint8_t buffer_[64];
  size_t buffered_ = 0;
  uint64_t totalBytes_ = 0;
};

std::array<uint8_t, 32> sha256(const void* data, size_t size);
std::string toHex(const uint8_t* bytes, size_t size);
std::string sha256Hex(const void* data, size_t size);

}  // namespace retinaface::trt
