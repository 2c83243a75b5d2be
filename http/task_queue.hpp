// The HTTP server's worker pool: `threads` workers and at most `max_queued` accepted
// connections waiting for one. httplib's own pool queues without bound; here the accept
// loop waits while the queue is full, so a flood of connections stays in the kernel's
// backlog (and is refused there) instead of growing memory. Each job serves one connection
// (all its keep-alive requests) and closes it.
#pragma once

#include <condition_variable>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <vector>

#include <httplib.h>

namespace sagaforge::http {

class bounded_task_queue : public httplib::TaskQueue {
public:
  bounded_task_queue(size_t threads, size_t max_queued) : max_queued_(max_queued) {
    for (size_t i = 0; i < threads; ++i)
      workers_.emplace_back([this] { work(); });
  }

  ~bounded_task_queue() override = default;

  void enqueue(std::function<void()> fn) override {
    {
      std::unique_lock<std::mutex> guard{mtx_};
      space_.wait(guard, [&] { return jobs_.size() < max_queued_ || shutdown_; });
      jobs_.push_back(std::move(fn));  // after shutdown too: the job closes its socket
    }
    ready_.notify_one();
  }

  void shutdown() override {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      shutdown_ = true;
    }
    ready_.notify_all();
    space_.notify_all();
    for (auto& t : workers_)
      t.join();
  }

private:
  void work() {
    for (;;) {
      std::function<void()> fn;
      {
        std::unique_lock<std::mutex> guard{mtx_};
        ready_.wait(guard, [&] { return !jobs_.empty() || shutdown_; });
        if (jobs_.empty())
          return;  // shut down and drained
        fn = std::move(jobs_.front());
        jobs_.pop_front();
      }
      space_.notify_one();
      fn();
    }
  }

  size_t max_queued_;
  std::mutex mtx_;
  std::condition_variable ready_;
  std::condition_variable space_;
  std::deque<std::function<void()>> jobs_;
  bool shutdown_ = false;
  std::vector<std::thread> workers_;
};

}  // namespace sagaforge::http
