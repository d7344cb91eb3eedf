#include "job_thread.h"

#include <exception>

namespace retinaface::napi {

namespace {

// How far below the JS thread the job thread runs (nice +5: about a third of the JS thread's weight when both want
// the same core).
constexpr int kNiceIncrement = 5;

}  // namespace

// Per-environment slot for the job thread (the addon's instance data); the thread itself is torn down by its
// cleanup hook, which empties the slot.
struct JobThreadSlot {
  JobThread* thread = nullptr;
};

struct JobThread::Pending {
  Pending(std::unique_ptr<Job> work, Napi::Promise::Deferred promise) : job(std::move(work)), deferred(promise) {}
  std::unique_ptr<Job> job;
  Napi::Promise::Deferred deferred;
  std::exception_ptr failure;  // set when run() threw; turned into a JS error on the JS thread
};

JobThread& JobThread::of(Napi::Env env) {
  // Instance data belongs to the addon's init; keep a slot there rather than a process-wide static.
  auto* slot = env.GetInstanceData<JobThreadSlot>();
  if (!slot) {
    slot = new JobThreadSlot();
    env.SetInstanceData<JobThreadSlot>(slot);
  }
  if (!slot->thread) slot->thread = new JobThread(env, slot);
  return *slot->thread;
}

JobThread::JobThread(Napi::Env env, JobThreadSlot* slot)
    : channel_(Channel::New(env, "retinaface-jobs", 0, 1, this)), slot_(slot),
      worker_(std::make_unique<WorkThread>(kNiceIncrement)) {
  channel_.Unref(env);  // only pending promises keep the process alive
  // Registered after the channel, so it runs before the channel's own cleanup at exit.
  napi_add_env_cleanup_hook(env, &JobThread::onEnvironmentCleanup, this);
}

Napi::Promise JobThread::submit(Napi::Env env, std::unique_ptr<Job> job) {
  auto* pending = new Pending(std::move(job), Napi::Promise::Deferred::New(env));
  if (pending_.empty()) channel_.Ref(env);
  pending_.insert(pending);
  worker_->post([this, pending] {
    try {
      pending->job->run();
    } catch (const std::exception&) {
      pending->failure = std::current_exception();
    }
    std::lock_guard<std::mutex> lock(channelMutex_);
    // A closed channel means the environment is going away; the cleanup hook frees what is left.
    if (channelOpen_) channel_.NonBlockingCall(pending);
  });
  return pending->deferred.Promise();
}

void JobThread::deliver(Napi::Env env, Napi::Function, JobThread* self, Pending* pending) {
  if (static_cast<napi_env>(env) == nullptr) return;  // the channel is being torn down; the cleanup hook frees the job
  self->finish(env, pending);
}

void JobThread::finish(Napi::Env env, Pending* pending) {
  std::unique_ptr<Pending> owned(pending);
  pending_.erase(pending);
  if (pending_.empty()) channel_.Unref(env);
  if (pending->failure) {
    try {
      std::rethrow_exception(pending->failure);
    } catch (const std::exception&) {
      pending->deferred.Reject(caughtAsJsError(env).Value());
    }
    return;
  }
  try {
    pending->deferred.Resolve(pending->job->result(env));
  } catch (const Napi::Error& e) {
    pending->deferred.Reject(e.Value());
  }
}

void JobThread::onEnvironmentCleanup(void* arg) {
  auto* self = static_cast<JobThread*>(arg);
  self->worker_.reset();  // the running job finishes, queued ones are dropped
  {
    std::lock_guard<std::mutex> lock(self->channelMutex_);
    self->channelOpen_ = false;
  }
  self->channel_.Release();
  // Jobs that never reached JS: their promises go with the environment.
  for (Pending* pending : self->pending_) delete pending;
  self->pending_.clear();
  self->slot_->thread = nullptr;
  delete self;
}

}  // namespace retinaface::napi
