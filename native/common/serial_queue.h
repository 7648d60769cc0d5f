// One worker thread running tasks in submission order. An ESYS context is not thread-safe, so
// every call on one context goes through one of these; JS gets promises resolved from it.
//
// The owner never waits for the thread: a task may block for as long as the platform likes (a
// keychain prompt, a hung TPM), and the JS thread that releases the queue (close(), a finalizer,
// a worker thread ending) must not block with it. Releasing the queue lets the thread finish the
// tasks already posted, in order, and end by itself; it keeps its own share of the queue's state,
// so nothing it touches is freed under it. The addon is pinned in memory (PinAddon in addon.cc),
// so a thread that outlives its environment never runs unmapped code.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <thread>

namespace dk {

class SerialQueue {
 public:
  SerialQueue() : state_(std::make_shared<State>()) {
    std::thread thread([state = state_] { Run(state); });
    state_->worker = thread.get_id();
    thread.detach();
  }

  // Never blocks, and may run on the worker thread itself (a task that drops the last owner).
  ~SerialQueue() {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->stopping = true;
    }
    state_->wake.notify_one();
  }

  SerialQueue(const SerialQueue&) = delete;
  SerialQueue& operator=(const SerialQueue&) = delete;

  void Post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->tasks.push_back(std::move(task));
    }
    state_->wake.notify_one();
  }

  bool OnWorkerThread() const { return std::this_thread::get_id() == state_->worker; }

 private:
  struct State {
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> tasks;
    bool stopping = false;
    std::thread::id worker;
  };

  static void Run(std::shared_ptr<State> s) {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(s->mutex);
        s->wake.wait(lock, [&s] { return s->stopping || !s->tasks.empty(); });
        if (s->tasks.empty()) return;  // released, and drained
        task = std::move(s->tasks.front());
        s->tasks.pop_front();
      }
      task();
    }
  }

  std::shared_ptr<State> state_;
};

}  // namespace dk
