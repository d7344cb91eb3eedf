#include "trt_session.h"

#include <atomic>
#include <cstring>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

#include "../trt/layer/log_router.h"
#include "../trt/open_session.h"
#include "js_error.h"
#include "trt_args.h"

namespace retinaface::napi {

namespace {

class SessionHandle;

// One message from a native thread to the JS thread.
struct Delivery {
  enum class Kind { Opened, Detected, Closed, Log, Engine };
  Kind kind;
  std::shared_ptr<SessionHandle> handle;  // Opened / Detected / Closed: the handle outlives the delivery
  std::unique_ptr<Napi::Promise::Deferred> deferred;
  trt::DetectOutcome outcome;
  std::vector<Napi::Reference<Napi::Value>> keepAlive;  // a batch's pixel arrays, released on the JS thread
  int severity = 0;
  std::string message;
  trt::EngineEvent event{};

  // Dropped without JS (the environment is going away, or off the JS thread): references must not be touched.
  void abandon() {
    for (Napi::Reference<Napi::Value>& reference : keepAlive) reference.SuppressDestruct();
  }
};

void deliver(Napi::Env env, Napi::Function onEvent, void* context, Delivery* delivery);
using Channel = Napi::TypedThreadSafeFunction<void, Delivery, deliver>;

Napi::Value toJs(Napi::Env env, const trt::SessionInfo& info);

class SessionHandle : public std::enable_shared_from_this<SessionHandle> {
 public:
  static Napi::Value open(const Napi::CallbackInfo& info);
  ~SessionHandle();

  // JS thread.
  Napi::Value detect(const Napi::CallbackInfo& info);
  Napi::Value close(const Napi::CallbackInfo& info);
  void opened(Napi::Env env, Delivery& delivery);
  void detected(Napi::Env env, Delivery& delivery);
  void closed(Napi::Env env, Delivery& delivery);

  // Any thread. Drops the delivery once the channel is gone.
  void post(std::unique_ptr<Delivery> delivery);
  bool cancelled() const { return cancelled_.load(); }

 private:
  SessionHandle() = default;
  void openOnThread(OpenOptions options, std::unique_ptr<Delivery> result);
  void startOperation(Napi::Env env);
  void finishOperation(Napi::Env env);
  static void onEnvironmentCleanup(void* arg);
  void teardown();
  Napi::Object sessionObject(Napi::Env env);

  Channel channel_;
  std::mutex channelMutex_;
  bool channelOpen_ = false;
  std::shared_ptr<SessionHandle>* hookReference_ = nullptr;  // the cleanup hook's strong reference
  napi_env env_ = nullptr;
  int pendingOperations_ = 0;  // JS thread only: the loop is kept alive while promises are pending
  bool closing_ = false;
  std::vector<Napi::Promise::Deferred> closeWaiters_;
  uint64_t logRoute_ = 0;
  std::atomic<bool> cancelled_{false};
  std::unique_ptr<trt::DetectorSession> session_;  // set by the opener thread, then used from the JS thread only
  std::thread opener_, closer_;
};

// Engine events (cache hits, build progress, where the engine went) travel to JS like log lines.
class EventForwarder : public trt::EngineObserver {
 public:
  explicit EventForwarder(SessionHandle* handle) : handle_(handle) {}
  void onEvent(const trt::EngineEvent& event) override {
    auto delivery = std::make_unique<Delivery>();
    delivery->kind = Delivery::Kind::Engine;
    delivery->event = event;
    handle_->post(std::move(delivery));
  }
  bool cancelled() const override { return handle_->cancelled(); }

 private:
  SessionHandle* handle_;
};

Napi::Value SessionHandle::open(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  OpenOptions options;
  try {
    options = readOpenOptions(info[0]);
  } catch (const CodedError& e) {
    return rejectedPromise(makeError(env, e.code(), e.what()));
  }
  Napi::Function onEvent = info[1].IsFunction() ? info[1].As<Napi::Function>() : Napi::Function();
  std::shared_ptr<SessionHandle> handle(new SessionHandle());
  handle->env_ = env;
  handle->channel_ = onEvent.IsEmpty() ? Channel::New(env, "retinaface-trt", 0, 1)
                                       : Channel::New(env, onEvent, "retinaface-trt", 0, 1);
  handle->channelOpen_ = true;
  handle->channel_.Unref(env);  // only pending promises keep the process alive, not an idle session
  // Registered after the channel, so it runs before the channel's own cleanup at exit.
  handle->hookReference_ = new std::shared_ptr<SessionHandle>(handle);
  napi_add_env_cleanup_hook(env, &SessionHandle::onEnvironmentCleanup, handle->hookReference_);

  SessionHandle* raw = handle.get();
  handle->logRoute_ = trt::LogRouter::instance().add(options.logSeverity, [raw](int severity, const char* message) {
    auto delivery = std::make_unique<Delivery>();
    delivery->kind = Delivery::Kind::Log;
    delivery->severity = severity;
    delivery->message = message;
    raw->post(std::move(delivery));
  });

  auto result = std::make_unique<Delivery>();
  result->kind = Delivery::Kind::Opened;
  result->handle = handle;
  result->deferred = std::make_unique<Napi::Promise::Deferred>(env);
  Napi::Promise promise = result->deferred->Promise();
  handle->startOperation(env);
  handle->opener_ = std::thread(&SessionHandle::openOnThread, raw, std::move(options), std::move(result));
  return promise;
}

void SessionHandle::openOnThread(OpenOptions options, std::unique_ptr<Delivery> result) {
  try {
    const trt::TensorRtBackend backend = trt::openTensorRt(options.layerDir, options.pinnedSlots,
                                                           options.pinnedSlotBytes);
    EventForwarder forwarder(this);
    session_ = trt::openSession(backend, options.session, &forwarder);
    result->outcome.ok = true;
  } catch (const CodedError& e) {
    result->outcome = trt::DetectOutcome::failure(e.code(), e.what());
  } catch (const std::exception& e) {
    result->outcome = trt::DetectOutcome::failure(codes::kNativeError, e.what());
  }
  post(std::move(result));
}

void SessionHandle::post(std::unique_ptr<Delivery> delivery) {
  std::lock_guard<std::mutex> lock(channelMutex_);
  if (channelOpen_ && channel_.NonBlockingCall(delivery.get()) == napi_ok) {
    delivery.release();  // now owned by the channel's queue
    return;
  }
  delivery->abandon();
}

void SessionHandle::startOperation(Napi::Env env) {
  if (pendingOperations_++ == 0) channel_.Ref(env);
}

void SessionHandle::finishOperation(Napi::Env env) {
  if (--pendingOperations_ == 0) channel_.Unref(env);
}

Napi::Object SessionHandle::sessionObject(Napi::Env env) {
  std::shared_ptr<SessionHandle> self = shared_from_this();
  Napi::Object object = Napi::Object::New(env);
  object.Set("info", toJs(env, session_->info()));
  object.Set("detect",
             Napi::Function::New(env, [self](const Napi::CallbackInfo& info) { return self->detect(info); }, "detect"));
  object.Set("close",
             Napi::Function::New(env, [self](const Napi::CallbackInfo& info) { return self->close(info); }, "close"));
  return object;
}

void SessionHandle::opened(Napi::Env env, Delivery& delivery) {
  if (opener_.joinable()) opener_.join();  // it posted this and is returning
  finishOperation(env);
  if (delivery.outcome.ok) {
    delivery.deferred->Resolve(sessionObject(env));
    return;
  }
  delivery.deferred->Reject(makeError(env, delivery.outcome.code, delivery.outcome.message).Value());
  // Nothing was opened: the session is over. The same path as a finished close.
  closed(env, delivery);
}

Napi::Value SessionHandle::detect(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  if (closing_ || !session_)
    return rejectedPromise(makeError(env, codes::kDetectorClosed, "the TensorRT session was closed"));
  DetectArguments args;
  try {
    args = readDetectArguments(info);
  } catch (const CodedError& e) {
    return rejectedPromise(makeError(env, e.code(), e.what()));
  }
  auto delivery = std::make_unique<Delivery>();
  delivery->kind = Delivery::Kind::Detected;
  delivery->handle = shared_from_this();
  delivery->deferred = std::make_unique<Napi::Promise::Deferred>(env);
  delivery->keepAlive = std::move(args.keepAlive);
  Napi::Promise promise = delivery->deferred->Promise();
  startOperation(env);
  Delivery* pending = delivery.release();
  session_->submit(std::move(args.request), [this, pending](trt::DetectOutcome&& outcome) {
    pending->outcome = std::move(outcome);
    post(std::unique_ptr<Delivery>(pending));
  });
  return promise;
}

void SessionHandle::detected(Napi::Env env, Delivery& delivery) {
  finishOperation(env);
  if (!delivery.outcome.ok) {
    delivery.deferred->Reject(makeError(env, delivery.outcome.code, delivery.outcome.message).Value());
    return;
  }
  const trt::DetectResult& result = delivery.outcome.result;
  Napi::Float32Array faces = Napi::Float32Array::New(env, result.faces.size());
  if (!result.faces.empty()) std::memcpy(faces.Data(), result.faces.data(), result.faces.size() * sizeof(float));
  Napi::Int32Array counts = Napi::Int32Array::New(env, result.counts.size());
  if (!result.counts.empty()) std::memcpy(counts.Data(), result.counts.data(), result.counts.size() * sizeof(int32_t));
  Napi::Object value = Napi::Object::New(env);
  value.Set("faces", faces);
  value.Set("counts", counts);
  delivery.deferred->Resolve(value);
}

Napi::Value SessionHandle::close(const Napi::CallbackInfo& info) {
  Napi::Env env = info.Env();
  Napi::Promise::Deferred waiter = Napi::Promise::Deferred::New(env);
  closeWaiters_.push_back(waiter);
  if (closing_) return waiter.Promise();  // resolves with the close already under way
  closing_ = true;
  startOperation(env);
  auto done = std::make_unique<Delivery>();
  done->kind = Delivery::Kind::Closed;
  done->handle = shared_from_this();
  closer_ = std::thread([this, done = std::move(done)]() mutable {
    session_->close(trt::CloseMode::Drain);  // every batch already submitted completes first
    trt::LogRouter::instance().remove(logRoute_);
    post(std::move(done));
  });
  return waiter.Promise();
}

void SessionHandle::closed(Napi::Env env, Delivery& delivery) {
  if (closer_.joinable()) {
    closer_.join();
    finishOperation(env);
  }
  session_.reset();  // the engine and runtime; lanes, streams and pinned memory went in session_->close()
  trt::LogRouter::instance().remove(logRoute_);
  if (hookReference_) {
    napi_remove_env_cleanup_hook(env, &SessionHandle::onEnvironmentCleanup, hookReference_);
    delete hookReference_;  // `delivery` still holds the handle
    hookReference_ = nullptr;
  }
  {
    std::lock_guard<std::mutex> lock(channelMutex_);
    channelOpen_ = false;
  }
  channel_.Release();
  for (Napi::Promise::Deferred& waiter : closeWaiters_) waiter.Resolve(env.Undefined());
  closeWaiters_.clear();
  (void)delivery;
}

void SessionHandle::onEnvironmentCleanup(void* arg) {
  auto* reference = static_cast<std::shared_ptr<SessionHandle>*>(arg);
  (*reference)->hookReference_ = nullptr;
  (*reference)->teardown();
  delete reference;  // possibly the last reference; every thread is joined by now
}

void SessionHandle::teardown() {
  cancelled_ = true;  // stops an engine build at its next step
  if (opener_.joinable()) opener_.join();
  if (session_) session_->close(trt::CloseMode::CancelQueued);  // running batches finish, queued ones fail
  if (closer_.joinable()) closer_.join();
  trt::LogRouter::instance().remove(logRoute_);
  {
    std::lock_guard<std::mutex> lock(channelMutex_);
    channelOpen_ = false;  // the channel is torn down by Node right after this hook
  }
  session_.reset();
}

SessionHandle::~SessionHandle() {
  // Only reached after close() finished or the cleanup hook ran: both joined every thread.
  if (opener_.joinable()) opener_.detach();
  if (closer_.joinable()) closer_.detach();
}

void deliver(Napi::Env env, Napi::Function onEvent, void*, Delivery* raw) {
  std::unique_ptr<Delivery> delivery(raw);
  if (static_cast<napi_env>(env) == nullptr) {
    delivery->abandon();  // the environment is being torn down
    return;
  }
  switch (delivery->kind) {
    case Delivery::Kind::Opened: delivery->handle->opened(env, *delivery); return;
    case Delivery::Kind::Detected: delivery->handle->detected(env, *delivery); return;
    case Delivery::Kind::Closed: delivery->handle->closed(env, *delivery); return;
    case Delivery::Kind::Log:
    case Delivery::Kind::Engine: break;
  }
  if (onEvent.IsEmpty()) return;
  Napi::Object event = Napi::Object::New(env);
  if (delivery->kind == Delivery::Kind::Log) {
    event.Set("type", "log");
    event.Set("severity", delivery->severity);
    event.Set("message", delivery->message);
  } else {
    const trt::EngineEvent& e = delivery->event;
    event.Set("type", "engine");
    event.Set("kind", trt::eventKindName(e.kind));
    if (!e.message.empty()) event.Set("message", e.message);
    if (!e.path.empty()) event.Set("path", e.path);
    if (!e.phase.empty()) event.Set("phase", e.phase);
    if (!e.parent.empty()) event.Set("parent", e.parent);
    event.Set("step", e.step);
    event.Set("steps", e.steps);
    event.Set("seconds", e.seconds);
  }
  try {
    onEvent.Call({event});
  } catch (const Napi::Error&) {
    // A throwing listener must not take the session down; the JS side wraps listeners anyway.
  }
}

Napi::Object sizeToJs(Napi::Env env, trt::InputSize size) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("width", size.width);
  object.Set("height", size.height);
  return object;
}

Napi::Value toJs(Napi::Env env, const trt::SessionInfo& info) {
  Napi::Object object = Napi::Object::New(env);
  object.Set("enginePath", info.enginePath);
  object.Set("built", info.built);
  if (!info.rebuildReason.empty()) object.Set("rebuildReason", info.rebuildReason);
  object.Set("buildSeconds", info.buildSeconds);
  object.Set("tensorrtVersion", info.tensorrtVersion);
  object.Set("precision", trt::precisionName(info.precision));
  object.Set("streams", info.streams);
  object.Set("inputType", info.roles.inputType == trt::TensorType::Float16 ? "float16" : "float32");
  Napi::Object gpu = Napi::Object::New(env);
  gpu.Set("name", info.gpu.name);
  gpu.Set("uuid", info.gpu.uuid);
  gpu.Set("computeCapability", info.gpu.computeCapability());
  gpu.Set("totalMemory", static_cast<double>(info.gpu.totalMemory));
  object.Set("gpu", gpu);
  const trt::ShapeProfile& p = info.engine.profile;
  Napi::Object profile = Napi::Object::New(env);
  profile.Set("maxBatch", p.maxBatch);
  profile.Set("optBatch", p.optBatch);
  profile.Set("min", sizeToJs(env, p.min));
  profile.Set("opt", sizeToJs(env, p.opt));
  profile.Set("max", sizeToJs(env, p.max));
  object.Set("profile", profile);
  return object;
}

}  // namespace

Napi::Value trtOpen(const Napi::CallbackInfo& info) { return SessionHandle::open(info); }

}  // namespace retinaface::napi
