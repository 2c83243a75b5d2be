// measuring_store implementation.
#include "bench/measuring_store.hpp"

#include <sys/syscall.h>
#include <unistd.h>

#include <chrono>

namespace sagaforge::bench {

caf::error measuring_store::write(const std::vector<mutation>& batch) {
  // The last caller: node start-up writes the store's format marker from the main thread
  // before the group-commit writer's first commit.
  writer_tid_.store(static_cast<int>(syscall(SYS_gettid)), std::memory_order_relaxed);
  uint64_t puts[table_count] = {}, kb[table_count] = {}, vb[table_count] = {};
  for (auto& m : batch) {
    auto t = static_cast<size_t>(m.tbl);
    puts[t] += 1;
    kb[t] += m.key.size();
    vb[t] += m.erase ? 0 : m.value.size();
  }
  auto t0 = std::chrono::steady_clock::now();
  auto err = inner_->write(batch);
  auto ns = std::chrono::duration_cast<std::chrono::nanoseconds>(std::chrono::steady_clock::now()
                                                                  - t0)
              .count();
  commit_ns_.record(ns);
  write_ns_.fetch_add(static_cast<uint64_t>(ns), std::memory_order_relaxed);
  for (size_t t = 0; t < table_count; ++t) {
    puts_[t].fetch_add(puts[t], std::memory_order_relaxed);
    key_bytes_[t].fetch_add(kb[t], std::memory_order_relaxed);
    value_bytes_[t].fetch_add(vb[t], std::memory_order_relaxed);
  }
  commits_.fetch_add(1, std::memory_order_relaxed);
  return err;
}

store_sample measuring_store::sample() const {
  store_sample s;
  s.commits = commits_.load(std::memory_order_relaxed);
  for (size_t t = 0; t < table_count; ++t) {
    s.puts[t] = puts_[t].load(std::memory_order_relaxed);
    s.key_bytes[t] = key_bytes_[t].load(std::memory_order_relaxed);
    s.value_bytes[t] = value_bytes_[t].load(std::memory_order_relaxed);
  }
  s.write_ns = write_ns_.load(std::memory_order_relaxed);
  return s;
}

} // namespace sagaforge::bench
