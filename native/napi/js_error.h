// Native failures as JS errors: every error reaching JS is an Error whose `code` is the CodedError's (one of
// core/error_codes.h), or NATIVE_ERROR for any other exception.
#pragma once
#include <napi.h>

#include <exception>
#include <string>

#include "../core/coded_error.h"

namespace retinaface::napi {

inline Napi::Error makeError(Napi::Env env, const char* code, const std::string& message) {
  Napi::Error error = Napi::Error::New(env, message);
  error.Set("code", Napi::String::New(env, code));
  return error;
}

// The exception being handled, as a JS error; call it only inside a catch block. A Napi::Error (a JS exception
// already) stays as it is; anything that is not a std::exception propagates.
inline Napi::Error caughtAsJsError(Napi::Env env) {
  try {
    throw;
  } catch (const Napi::Error& e) {
    return e;
  } catch (const CodedError& e) {
    return makeError(env, e.code(), e.what());
  } catch (const std::exception& e) {
    return makeError(env, codes::kNativeError, e.what());
  }
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
  } catch (const std::exception&) {
    return rejectedPromise(caughtAsJsError(env));
  }
}

// Runs the body of a synchronous function; any exception is rethrown to JS as a typed error.
template <typename Body>
Napi::Value withTypedErrors(Napi::Env env, Body body) {
  try {
    return body();
  } catch (const std::exception&) {
    throw caughtAsJsError(env);
  }
}

}  // namespace retinaface::napi
