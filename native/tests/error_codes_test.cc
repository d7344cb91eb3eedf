// The native error codes (core/error_codes.h): distinct, and spelled as lib/errors.ts spells codes. Whether each is
// a member of ErrorCodes there is test/native-error-codes.test.ts's job (it reads both lists).
#include <iterator>
#include <set>
#include <string>

#include "core/coded_error.h"
#include "harness.h"

using namespace retinaface;

TEST(error_codes_are_distinct_upper_snake_case) {
  std::set<std::string> seen;
  for (const char* code : codes::kAll) {
    const std::string text = code;
    CHECK(!text.empty());
    CHECK(text.find_first_not_of("ABCDEFGHIJKLMNOPQRSTUVWXYZ_") == std::string::npos);
    CHECK(seen.insert(text).second);
  }
  CHECK_EQ(seen.size(), std::size(codes::kAll));
  CHECK(seen.count(codes::kInvalidArgument) == 1 && seen.count(codes::kNativeError) == 1);
}

TEST(coded_error_carries_its_code_and_message) {
  try {
    throw CodedError(codes::kModelOutputMismatch, "loc has 3 floats");
  } catch (const std::runtime_error& e) {  // callers that only know std::exception still get the message
    CHECK_EQ(std::string(e.what()), std::string("loc has 3 floats"));
    CHECK_EQ(std::string(dynamic_cast<const CodedError&>(e).code()), std::string("MODEL_OUTPUT_MISMATCH"));
  }
}
