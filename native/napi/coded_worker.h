// AsyncWorker base that runs plain C++ work off the JS thread and rejects its promise with a typed error.
#pragma once
#include <napi.h>

#include <string>

#include "errors.h"

namespace retinaface::napi {

class CodedWorker : public Napi::AsyncWorker {
 public:
  explicit CodedWorker(Napi::Env env) : Napi::AsyncWorker(env), deferred_(Napi::Promise::Deferred::New(env)) {}
  Napi::Promise promise() { return deferred_.Promise(); }

 protected:
  // Subclasses do their work here; exceptions become typed rejections.
  virtual void run() = 0;
  virtual Napi::Value result(Napi::Env env) = 0;

 private:
  void Execute() final {
    try {
      run();
    } catch (const CodedError& e) {
      code_ = e.code();
      SetError(e.what());
    } catch (const std::exception& e) {
      code_ = kNativeError;
      SetError(e.what());
    }
  }
  void OnOK() final { deferred_.Resolve(result(Env())); }
  void OnError(const Napi::Error& error) final {
    deferred_.Reject(makeError(Env(), code_, error.Message()).Value());
  }

  Napi::Promise::Deferred deferred_;
  const char* code_ = kNativeError;
};

}  // namespace retinaface::napi
