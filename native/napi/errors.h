// Typed errors across the N-API boundary: every error reaching JS carries a stable `code`.
#pragma once
#include <napi.h>

#include <stdexcept>
#include <string>

namespace retinaface::napi {

// Codes shared with lib/errors.ts.
inline constexpr const char* kInvalidArgument = "INVALID_ARGUMENT";
inline constexpr const char* kModelOutputMismatch = "MODEL_OUTPUT_MISMATCH";
inline constexpr const char* kNativeError = "NATIVE_ERROR";

// Thrown by argument readers and workers; turned into a JS Error with `code` set.
class CodedError : public std::runtime_error {
 public:
  CodedError(const char* code, const std::string& message) : std::runtime_error(message), code_(code) {}
  const char* code() const { return code_; }

 private:
  const char* code_;
};

inline Napi::Error makeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

// Argument errors of promise-returning functions reject the promise instead of throwing synchronously.
inline Napi::Value rejectedPromise(const Napi::Error& error) {
  Napi::Promise::Deferred deferred = Napi::Promise::Deferred::New(error.Env());
  deferred.Reject(error.Value());
  return deferred.Promise();
}

// Runs `start` (argument checks, then queueing a worker that returns its promise); any exception becomes a rejected
// promise with a typed error, so promise-returning functions never throw synchronously.
template <typename Start>
Napi::Value promiseOrRejection(Napi::Env env, Start start) {
  try {
    return start();
  } catch (const CodedError& e) {
    return rejectedPromise(makeError(env, e.code(), e.what()));
  } catch (const Napi::Error& e) {
    return rejectedPromise(e);
  } catch (const std::exception& e) {
    return rejectedPromise(makeError(env, kNativeError, e.what()));
  }
}

// Runs the body of a synchronous function; any exception is rethrown to JS as a typed error.
template <typename Body>
Napi::Value withTypedErrors(Napi::Env env, Body body) {
  try {
    return body();
  } catch (const CodedError& e) {
    throw makeError(env, e.code(), e.what());
  } catch (const Napi::Error&) {
    throw;
  } catch (const std::exception& e) {
    throw makeError(env, kNativeError, e.what());
  }
}

}  // namespace retinaface::napi
