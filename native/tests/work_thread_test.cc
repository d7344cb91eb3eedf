// The background thread that letterboxes for preprocess(): order, shutdown, and its lowered priority.
#include <atomic>
#include <chrono>
#include <future>
#include <mutex>
#include <thread>
#include <vector>

#include "core/work_thread.h"
#include "harness.h"

#ifdef __linux__
#include <sys/resource.h>
#endif

using namespace retinaface;

TEST(work_thread_runs_tasks_in_posted_order) {
  std::vector<int> seen;
  std::mutex mutex;
  std::promise<void> done;
  {
    WorkThread thread;
    for (int i = 0; i < 100; ++i)
      thread.post([&, i] {
        std::lock_guard<std::mutex> lock(mutex);
        seen.push_back(i);
      });
    thread.post([&] { done.set_value(); });
    CHECK(done.get_future().wait_for(std::chrono::seconds(10)) == std::future_status::ready);
  }
  CHECK_EQ(seen.size(), 100u);
  for (int i = 0; i < 100; ++i) CHECK_EQ(seen[i], i);
}

TEST(work_thread_runs_off_the_posting_thread) {
  WorkThread thread;
  std::promise<std::thread::id> ran;
  thread.post([&] { ran.set_value(std::this_thread::get_id()); });
  CHECK(ran.get_future().get() != std::this_thread::get_id());
}

TEST(work_thread_destruction_finishes_the_running_task_and_drops_the_rest) {
  std::atomic<int> finished{0};
  std::promise<void> started;
  {
    WorkThread thread;
    thread.post([&] {
      started.set_value();
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
      finished++;
    });
    for (int i = 0; i < 10; ++i) thread.post([&] { finished += 100; });
    started.get_future().wait();
  }  // joins here
  CHECK_EQ(finished.load(), 1);
}

#ifdef __linux__
TEST(work_thread_lowers_its_own_priority_only) {
  const int before = getpriority(PRIO_PROCESS, 0);
  WorkThread thread(5);
  std::promise<bool> lowered;
  thread.post([&] { lowered.set_value(thread.lowered()); });
  CHECK(lowered.get_future().get());
  CHECK_EQ(getpriority(PRIO_PROCESS, 0), before);  // the calling thread keeps its priority
}
#endif
