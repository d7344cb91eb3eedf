// The addon's own thread for CPU work that JS awaits (letterboxing), with promises settled on the JS thread through
// a thread-safe function. Not libuv's pool: sharp decodes images there. One per Node environment, started on first
// use, stopped by the environment's cleanup hook (a worker thread's exit, or the process's).
#pragma once
#include <napi.h>

#include <memory>
#include <mutex>
#include <set>

#include "../core/work_thread.h"
#include "js_error.h"

namespace retinaface::napi {

// Work for the job thread: run() there (exceptions become typed rejections), result() on the JS thread.
class Job {
 public:
  virtual ~Job() = default;
  virtual void run() = 0;
  virtual Napi::Value result(Napi::Env env) = 0;
};

struct JobThreadSlot;

class JobThread {
 public:
  // The environment's job thread.
  static JobThread& of(Napi::Env env);

  // JS thread. The promise settles with job->result(env), or a typed error, once the job has run.
  Napi::Promise submit(Napi::Env env, std::unique_ptr<Job> job);

 private:
  struct Pending;
  static void deliver(Napi::Env env, Napi::Function, JobThread* self, Pending* pending);
  using Channel = Napi::TypedThreadSafeFunction<JobThread, Pending, deliver>;

  JobThread(Napi::Env env, JobThreadSlot* slot);
  static void onEnvironmentCleanup(void* arg);
  void finish(Napi::Env env, Pending* pending);

  Channel channel_;
  std::mutex channelMutex_;
  bool channelOpen_ = true;
  std::set<Pending*> pending_;  // JS thread only; freed at cleanup if their jobs never ran
  JobThreadSlot* slot_;
  std::unique_ptr<WorkThread> worker_;
};

}  // namespace retinaface::napi
