// The process's monotonic clock in milliseconds: deadlines, backoffs and lease timing that
// must not jump with the wall clock (an NTP step would otherwise expire or extend them).
#pragma once

#include <chrono>
#include <cstdint>

namespace sagaforge {

inline int64_t steady_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(steady_clock::now().time_since_epoch()).count();
}

} // namespace sagaforge
