// The gateway's circuit breaker as pure functions over BreakerState (schemas/payment.proto):
// CLOSED counts consecutive failures and opens at breaker_failures_max; OPEN refuses calls
// until breaker_open_ms have passed, then HALF_OPEN admits breaker_half_open_probes trial
// calls: all succeed -> CLOSED, any fails -> OPEN again. Declines count as successes (the
// gateway answered). Used by gateway.cpp inside decide; results go into events.
#pragma once

#include <cstdint>

#include "actors/fulfillment/fulfillment_config.hpp"
#include "payment.pb.h"

namespace sagaforge::payment {

/// Before admitting a call at `now_ms`: an OPEN breaker whose time is up becomes HALF_OPEN.
BreakerState breaker_at(const BreakerState& b, int64_t now_ms);

/// Whether `b` (as returned by breaker_at) admits one more call.
bool breaker_admits(const BreakerState& b, const fulfillment::fulfillment_config& cfg);

/// The breaker after admitting a call (a probe when HALF_OPEN).
BreakerState breaker_admit(const BreakerState& b);

/// The breaker after a call admitted as `probe` finished with `verdict` at `now_ms`.
BreakerState breaker_after(const BreakerState& b, Verdict verdict, bool probe, int64_t now_ms,
                           const fulfillment::fulfillment_config& cfg);

} // namespace sagaforge::payment
