// faulty_store: the memory store with injectable faults for tests — a delay per write (so
// steps pile up and group commit can be observed) and failing writes from the Nth on, or
// once more than N mutations would be stored (independent of how steps were batched).
#pragma once

#include <atomic>
#include <chrono>
#include <thread>

#include "runtime/errors.hpp"
#include "runtime/memory_store.hpp"

namespace sagaforge::testing {

class faulty_store : public memory_store {
public:
  std::atomic<int64_t> write_delay_us{0};
  std::atomic<int64_t> fail_from_write{-1};  // -1: never
  std::atomic<int64_t> fail_above_mutations{-1};  // -1: never
  std::atomic<int64_t> writes{0};
  std::atomic<int64_t> mutations{0};  // stored so far

  caf::error write(const std::vector<mutation>& batch) override {
    auto n = writes.fetch_add(1);
    if (auto d = write_delay_us.load(); d > 0)
      std::this_thread::sleep_for(std::chrono::microseconds{d});
    if (auto f = fail_from_write.load(); f >= 0 && n >= f)
      return make_runtime_error(runtime_errc::store_failed, "injected: disk full");
    auto size = static_cast<int64_t>(batch.size());
    if (auto f = fail_above_mutations.load(); f >= 0 && mutations.load() + size > f)
      return make_runtime_error(runtime_errc::store_failed, "injected: disk full");
    mutations += size;
    return memory_store::write(batch);
  }
};

} // namespace sagaforge::testing
