// SHA-256 against the FIPS 180-4 example vectors, and streaming in odd chunks against one-shot hashing.
#include <string>
#include <vector>

#include "harness.h"
#include "trt/cache/sha256.h"

using namespace retinaface::trt;

TEST(trt_sha256_known_vectors) {
  CHECK_EQ(sha256Hex("", 0), std::string("e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"));
  CHECK_EQ(sha256Hex("abc", 3), std::string("ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad"));
  const std::string two = "abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq";
  CHECK_EQ(sha256Hex(two.data(), two.size()),
           std::string("248d6a61d20638b8e5c026930c3e6039a33ce45964ff2167f6ecedd419db06c1"));
  const std::string million(1000000, 'a');
  CHECK_EQ(sha256Hex(million.data(), million.size()),
           std::string("cdc76e5c9914fb9281a1c7e284d73e67f1809a48a497200e046d39ccc7112cd0"));
}

TEST(trt_sha256_streaming_equals_one_shot) {
  std::vector<uint8_t> data(10007);
  for (size_t i = 0; i < data.size(); ++i) data[i] = static_cast<uint8_t>(i * 131 + 7);
  const std::string expected = sha256Hex(data.data(), data.size());
  for (size_t chunk : {1u, 3u, 55u, 56u, 63u, 64u, 65u, 1000u}) {
    Sha256 hash;
    for (size_t offset = 0; offset < data.size(); offset += chunk)
      hash.update(data.data() + offset, std::min(chunk, data.size() - offset));
    const auto digest = hash.finish();
    CHECK_EQ(toHex(digest.data(), digest.size()), expected);
  }
}
