// Group-commit writer implementation.
#include "runtime/commit_pipeline.hpp"
#include "runtime/failpoint.hpp"

#include <chrono>

#include <pthread.h>

#include <spdlog/spdlog.h>

#include "caf/send.hpp"

#include "runtime/errors.hpp"
#include "runtime/messages.hpp"

namespace sagaforge {

commit_pipeline::commit_pipeline(store_ptr st, options opts)
  : store_(std::move(st)), opts_(opts) {
  if (opts_.threaded)
    thread_ = std::thread{[this] { run(); }};
}

commit_pipeline::~commit_pipeline() {
  stop();
}

void commit_pipeline::stop() {
  {
    std::lock_guard<std::mutex> guard{mtx_};
    stopping_ = true;
  }
  cv_.notify_all();
  space_cv_.notify_all();
  if (thread_.joinable())
    thread_.join();
}

std::string commit_pipeline::space_problem() const {
  std::lock_guard<std::mutex> guard{failure_mtx_};
  return space_problem_;
}

std::string commit_pipeline::failure() const {
  std::lock_guard<std::mutex> guard{failure_mtx_};
  return failure_;
}

commit_stats commit_pipeline::stats() const {
  return {commits_.load(), steps_.load(), failed_.load()};
}

size_t commit_pipeline::queued_steps() {
  std::lock_guard<std::mutex> guard{mtx_};
  return queue_.size();
}

void commit_pipeline::submit(std::vector<mutation> muts, caf::actor notify, uint64_t token) {
  if (!healthy_.load()) {
    caf::anon_send(notify, commit_failed_atom::value, token);
    return;
  }
  if (!opts_.threaded) {
    std::vector<item> one;
    one.push_back(item{std::move(muts), std::move(notify), token});
    commit(one);
    return;
  }
  std::unique_lock<std::mutex> guard{mtx_};
  space_cv_.wait(guard, [&] { return queue_.size() < opts_.max_queue_steps || stopping_; });
  queue_.push_back(item{std::move(muts), std::move(notify), token});
  if (queue_.size() == 1 || queue_.size() >= opts_.max_batch_steps)
    cv_.notify_one();
}

void commit_pipeline::run() {
  pthread_setname_np(pthread_self(), "sf.commit");  // tells it apart in top -H and perf
  std::vector<item> batch;
  for (;;) {
    {
      std::unique_lock<std::mutex> guard{mtx_};
      cv_.wait(guard, [&] { return !queue_.empty() || stopping_; });
      if (queue_.empty() && stopping_)
        return;
      if (opts_.max_delay_us > 0 && queue_.size() < opts_.max_batch_steps && !stopping_) {
        // Linger briefly for more steps: fewer, fuller commits under light load.
        cv_.wait_for(guard, std::chrono::microseconds{opts_.max_delay_us},
                     [&] { return queue_.size() >= opts_.max_batch_steps || stopping_; });
      }
      if (queue_.size() <= opts_.max_batch_steps) {
        batch.swap(queue_);
      } else {
        auto mid = queue_.begin() + static_cast<std::ptrdiff_t>(opts_.max_batch_steps);
        batch.assign(std::make_move_iterator(queue_.begin()), std::make_move_iterator(mid));
        queue_.erase(queue_.begin(), mid);
      }
    }
    space_cv_.notify_all();
    commit(batch);
    batch.clear();
  }
}

caf::error commit_pipeline::write_waiting_for_space() {
  auto err = store_->write(flat_);
  if (!opts_.threaded || !is_runtime_error(err, runtime_errc::no_space))
    return err;  // inline (deterministic tests): fail-stop, there is no thread to wait on
  // A full file system is the operator's to fix and loses nothing if we wait: the batch's
  // steps stay unacknowledged (nothing was sent for them), the entities behind them wait for
  // their commit, and the same batch is written again until it fits. LMDB aborted the failed
  // transaction whole (its pages reach the file before the meta page that would name them).
  constexpr auto retry_every = std::chrono::milliseconds{250};
  auto since = std::chrono::steady_clock::now();
  {
    std::lock_guard<std::mutex> guard{failure_mtx_};
    space_problem_ = describe(err);
  }
  waiting_for_space_.store(true);
  spdlog::error("{}: commits wait for space, retried every {} ms; nothing acknowledged is "
                "lost. Free space on that file system and the node resumes by itself",
                describe(err), retry_every.count());
  for (;;) {
    {
      std::unique_lock<std::mutex> lk{mtx_};
      if (cv_.wait_for(lk, retry_every, [this] { return stopping_; }))
        break;  // the node stops: the batch fails below, unacknowledged
    }
    err = store_->write(flat_);
    if (!is_runtime_error(err, runtime_errc::no_space))
      break;
  }
  waiting_for_space_.store(false);
  {
    std::lock_guard<std::mutex> guard{failure_mtx_};
    space_problem_.clear();
  }
  auto waited = std::chrono::duration<double>(std::chrono::steady_clock::now() - since).count();
  if (!err)
    spdlog::warn("space is back: commits resumed after waiting {:.1f} s", waited);
  return err;
}

void commit_pipeline::commit(std::vector<item>& batch) {
  flat_.clear();
  for (auto& it : batch)
    for (auto& m : it.muts)
      flat_.push_back(std::move(m));
  SAGAFORGE_FAILPOINT(failpoint::commit_before_write);
  auto t0 = std::chrono::steady_clock::now();
  caf::error err = healthy_.load()
                     ? write_waiting_for_space()
                     : make_runtime_error(runtime_errc::store_failed, "writer stopped");
  commit_seconds_.observe(
    std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count());
  batch_steps_.observe(static_cast<double>(batch.size()));
  flat_.clear();
  if (err) {
    if (healthy_.load()) {
      {
        std::lock_guard<std::mutex> guard{failure_mtx_};
        failure_ = describe(err);
      }
      healthy_.store(false);
      spdlog::critical("group commit failed, the writer stops accepting steps: {}",
                       describe(err));
    }
    failed_ += batch.size();
    for (auto& it : batch)
      caf::anon_send(it.notify, commit_failed_atom::value, it.token);
    return;
  }
  SAGAFORGE_FAILPOINT(failpoint::commit_after_write);  // durable; no entity told yet
  commits_ += 1;
  steps_ += batch.size();
  // One notification per entity per batch: "committed up to token N" (an entity's tokens
  // rise in submit order, and a batch holds a contiguous run of each entity's steps).
  notify_last_.clear();
  for (auto& it : batch) {
    auto [pos, added] = notify_last_.emplace(it.notify.address(), notify_order_.size());
    if (added)
      notify_order_.push_back({it.notify, it.token});
    else
      notify_order_[pos->second].second = it.token;
  }
  for (auto& [who, token] : notify_order_)
    caf::anon_send(who, committed_atom::value, token);
  notify_order_.clear();
}

} // namespace sagaforge
