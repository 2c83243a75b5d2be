// measuring_store: a store decorator that forwards to the real store (LMDB or memory) and
// counts what the runtime writes: commits, puts and bytes per table, the time spent inside
// store::write (LMDB puts + commit + flush), a histogram of that time, and the id of the
// writer thread. write() is called by the group-commit writer thread (and once at node
// start-up, for the format marker); the counters are atomics so the benchmark driver can
// sample them while it runs.
#pragma once

#include <atomic>
#include <cstdint>

#include "bench/latency_histogram.hpp"
#include "runtime/store.hpp"

namespace sagaforge::bench {

struct store_sample {
  uint64_t commits = 0;
  uint64_t puts[table_count] = {};
  uint64_t key_bytes[table_count] = {};
  uint64_t value_bytes[table_count] = {};
  uint64_t write_ns = 0;  // wall time inside write()
};

class measuring_store : public store {
public:
  explicit measuring_store(store_ptr inner) : inner_(std::move(inner)) {}

  caf::error write(const std::vector<mutation>& batch) override;
  caf::expected<std::optional<std::string>> get(table t, std::string_view key) override {
    return inner_->get(t, key);
  }
  caf::error scan(table t, std::string_view from, const visitor& f) override {
    return inner_->scan(t, from, f);
  }
  caf::expected<std::optional<std::string>> last_key(table t, std::string_view prefix) override {
    return inner_->last_key(t, prefix);
  }
  durability mode() const override {
    return inner_->mode();
  }

  store_sample sample() const;

  /// Linux thread id of the last caller of write() (the group-commit writer), 0 if none.
  int writer_tid() const {
    return writer_tid_.load(std::memory_order_relaxed);
  }

  latency_histogram& commit_ns() {
    return commit_ns_;
  }

private:
  store_ptr inner_;
  std::atomic<uint64_t> commits_{0};
  std::atomic<uint64_t> puts_[table_count] = {};
  std::atomic<uint64_t> key_bytes_[table_count] = {};
  std::atomic<uint64_t> value_bytes_[table_count] = {};
  std::atomic<uint64_t> write_ns_{0};
  std::atomic<int> writer_tid_{0};
  latency_histogram commit_ns_;
};

} // namespace sagaforge::bench
