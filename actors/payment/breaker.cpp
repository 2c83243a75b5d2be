// Circuit breaker transitions (see breaker.hpp).
#include "actors/payment/breaker.hpp"

namespace sagaforge::payment {

namespace {

BreakerState opened(int64_t now_ms, const fulfillment::fulfillment_config& cfg) {
  BreakerState b;
  b.set_state(OPEN);
  b.set_open_until_ms(now_ms + cfg.breaker_open_ms);
  return b;
}

} // namespace

BreakerState breaker_at(const BreakerState& b, int64_t now_ms) {
  if (b.state() != OPEN || now_ms < b.open_until_ms())
    return b;
  BreakerState next;
  next.set_state(HALF_OPEN);
  return next;
}

bool breaker_admits(const BreakerState& b, const fulfillment::fulfillment_config& cfg) {
  switch (b.state()) {
    case CLOSED:
      return true;
    case HALF_OPEN:
      return static_cast<int64_t>(b.probes_in_flight() + b.probe_successes())
             < cfg.breaker_half_open_probes;
    default:
      return false;
  }
}

BreakerState breaker_admit(const BreakerState& b) {
  auto next = b;
  if (b.state() == HALF_OPEN)
    next.set_probes_in_flight(b.probes_in_flight() + 1);
  return next;
}

BreakerState breaker_after(const BreakerState& b, Verdict verdict, bool probe, int64_t now_ms,
                           const fulfillment::fulfillment_config& cfg) {
  bool ok = verdict == APPROVED || verdict == DECLINED;
  auto next = b;
  if (probe) {
    if (b.state() != HALF_OPEN)
      return b;  // a probe of an earlier half-open round: that round is decided already
    if (!ok)
      return opened(now_ms, cfg);
    next.set_probes_in_flight(b.probes_in_flight() > 0 ? b.probes_in_flight() - 1 : 0);
    next.set_probe_successes(b.probe_successes() + 1);
    if (static_cast<int64_t>(next.probe_successes()) >= cfg.breaker_half_open_probes)
      return BreakerState{};  // CLOSED, no failures
    return next;
  }
  if (b.state() != CLOSED)
    return b;  // admitted before the circuit opened: its outcome no longer counts
  if (ok) {
    next.set_consecutive_failures(0);
    return next;
  }
  next.set_consecutive_failures(b.consecutive_failures() + 1);
  if (static_cast<int64_t>(next.consecutive_failures()) >= cfg.breaker_failures_max)
    return opened(now_ms, cfg);
  return next;
}

} // namespace sagaforge::payment
