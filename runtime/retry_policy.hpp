// The one backoff rule of the runtime and of the sagas built on it: the wait before attempt N
// is initial x 2^(N-1), capped at max; a limit of attempts (0: none). The runtime's resend,
// the sagas' step retries and their compensation timeouts all take their delays from here;
// each caller adds its own jitter to the base (the runtime's is random, a saga's derives
// from its id so that a replayed decision picks the same delay).
#pragma once

#include <algorithm>
#include <cstdint>

namespace sagaforge {

struct retry_policy {
  int64_t initial_ms = 1000;
  int64_t max_ms = 30000;
  int64_t attempts_max = 0;  // 0: no limit

  /// The wait before attempt `attempt` (1-based; 0 counts as 1), before any jitter.
  int64_t base_delay_ms(uint32_t attempt) const {
    int64_t delay = std::max<int64_t>(initial_ms, 1);
    for (uint32_t i = 1; i < attempt && delay < max_ms; ++i)
      delay *= 2;  // stops at the cap: no overflow however large `attempt` is
    return std::min(delay, std::max<int64_t>(max_ms, 1));
  }

  /// True once `attempts` sends were made and the policy allows no more.
  bool exhausted(uint32_t attempts) const {
    return attempts_max > 0 && static_cast<int64_t>(attempts) >= attempts_max;
  }
};

} // namespace sagaforge
