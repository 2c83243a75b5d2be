// The group-commit writer (DESIGN §5). Entities submit the mutations of one step and go
// on; the writer batches the steps of many entities into one store transaction (commit at
// max_batch_steps or after max_delay_us) and, once it is durable, tells each entity with a
// `committed` message carrying the entity's token. Commits happen in submit order, so an
// entity's steps become durable in order and a crash loses only a suffix.
//
// Two modes: `threaded` (production: one dedicated thread owns the LMDB write txn) and
// `inline` (deterministic tests: the write happens in the submitting actor's call).
// A failed commit is fail-stop: every waiting and later step gets `commit_failed`, and
// healthy() turns false so the node can exit; nothing acknowledged is ever lost. Except a
// full file system in threaded mode: the writer retries the batch until it fits
// (waiting_for_space()), and the node refuses new work meanwhile.
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstdint>
#include <mutex>
#include <string>
#include <thread>
#include <unordered_map>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_addr.hpp"

#include "runtime/histogram.hpp"
#include "runtime/store.hpp"

namespace sagaforge {

struct commit_stats {
  uint64_t commits = 0;
  uint64_t steps = 0;
  uint64_t failed = 0;
};

class commit_pipeline {
public:
  struct options {
    bool threaded = true;
    size_t max_batch_steps = 4096;
    int64_t max_delay_us = 0;
    size_t max_queue_steps = 65536;
  };

  commit_pipeline(store_ptr st, options opts);
  ~commit_pipeline();

  commit_pipeline(const commit_pipeline&) = delete;
  commit_pipeline& operator=(const commit_pipeline&) = delete;

  /// Queues one step. Blocks while max_queue_steps are already queued (back-pressure).
  /// `notify` receives (committed_atom, token): every step of it up to `token` is durable
  /// (one message per entity per batch), or (commit_failed_atom, token).
  void submit(std::vector<mutation> muts, caf::actor notify, uint64_t token);

  /// Stops the writer thread after draining what is queued.
  void stop();

  bool healthy() const {
    return healthy_.load();
  }

  commit_stats stats() const;

  /// Store write time of each group commit (seconds) and its steps (/metrics).
  const atomic_histogram& commit_seconds() const { return commit_seconds_; }
  const atomic_histogram& batch_steps() const { return batch_steps_; }
  /// Steps queued for the writer now (back-pressure at max_queue_steps).
  size_t queued_steps();
  /// Why the writer stopped ("" while healthy): what the operator must fix.
  std::string failure() const;

  /// True while a commit waits for the store's file system to have room (threaded mode):
  /// nothing is committed, acknowledged or lost meanwhile; it resumes by itself.
  bool waiting_for_space() const {
    return waiting_for_space_.load();
  }
  /// The store's error while waiting_for_space() ("" otherwise).
  std::string space_problem() const;

  store& backing_store() {
    return *store_;
  }

private:
  struct item {
    std::vector<mutation> muts;
    caf::actor notify;
    uint64_t token;
  };

  void run();
  void commit(std::vector<item>& batch);
  /// Writes flat_; on a full file system (threaded mode) retries until it fits or stop().
  caf::error write_waiting_for_space();

  store_ptr store_;
  options opts_;
  std::mutex mtx_;
  std::condition_variable cv_;
  std::condition_variable space_cv_;
  std::vector<item> queue_;
  bool stopping_ = false;
  std::atomic<bool> healthy_{true};
  std::atomic<bool> waiting_for_space_{false};
  mutable std::mutex failure_mtx_;
  std::string failure_;
  std::string space_problem_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> steps_{0};
  std::atomic<uint64_t> failed_{0};
  atomic_histogram commit_seconds_{atomic_histogram::exponential(0.0001, 2, 16)};
  atomic_histogram batch_steps_{atomic_histogram::exponential(1, 4, 9)};
  std::thread thread_;
  std::vector<mutation> flat_;  // writer-thread scratch
  std::unordered_map<caf::actor_addr, size_t> notify_last_;
  std::vector<std::pair<caf::actor, uint64_t>> notify_order_;
};

} // namespace sagaforge
