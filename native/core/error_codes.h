// The stable error codes of the native side: every CodedError carries one of these, and JS sees it as `error.code`.
// Each is a member of ErrorCodes in lib/errors.ts (meanings there); test/native-error-codes.test.ts compares the two
// lists through the addon's `errorCodes` export.
#pragma once

namespace retinaface::codes {

// One line per code: its constant, then the string JS sees. Both the constants and kAll are generated from these
// lines, so no code can exist without being listed.
#define RETINAFACE_ERROR_CODES(CODE)                  \
  CODE(kInvalidArgument, "INVALID_ARGUMENT")          \
  CODE(kModelInvalid, "MODEL_INVALID")                \
  CODE(kModelOutputMismatch, "MODEL_OUTPUT_MISMATCH") \
  CODE(kBackendUnavailable, "BACKEND_UNAVAILABLE")    \
  CODE(kInferenceFailed, "INFERENCE_FAILED")          \
  CODE(kDetectorClosed, "DETECTOR_CLOSED")            \
  CODE(kNativeError, "NATIVE_ERROR")

#define RETINAFACE_DEFINE_CODE(name, text) inline constexpr const char* name = text;
RETINAFACE_ERROR_CODES(RETINAFACE_DEFINE_CODE)
#undef RETINAFACE_DEFINE_CODE

// Every code above, in the same order.
#define RETINAFACE_LIST_CODE(name, text) text,
inline constexpr const char* kAll[] = {RETINAFACE_ERROR_CODES(RETINAFACE_LIST_CODE)};
#undef RETINAFACE_LIST_CODE

#undef RETINAFACE_ERROR_CODES

}  // namespace retinaface::codes
