// Internal to the redemption saga: the pieces of its decide that its two source files
// share (redemption.cpp: start, results, timeout; redemption_compensation.cpp: the
// compensation ledger). Runs inside decide: pure, time from the context only.
#pragma once

#include <string>

#include "actors/redemption/redemption.hpp"

namespace sagaforge::redemption::detail {

using ctx_t = decide_context<RedemptionEvent>;

/// One decide in progress: `next` is the state with this step's events applied so far,
/// so later decisions in the same step see the earlier ones.
struct step {
  RedemptionState next;
  ctx_t& ctx;
  const loyalty::loyalty_config& cfg;
  std::string id;  // the redemption id (and the points transaction id)

  /// Stamps the step time, applies to `next` and records the event.
  void emit(RedemptionEvent ev);
};

std::string timeout_timer();
std::string retry_timer(Branch b);

/// "points/<customer>" or "reward/<reward>": who answers for branch `b`.
std::string participant(const RedemptionState& s, Branch b);

/// Points and inventory have a compensation; validation changes nothing.
bool compensable(Branch b);

/// Failure started: FAILED, COMPENSATING, COMPENSATED or COMPENSATION_FAILED.
bool failure_started(const RedemptionState& s);

// -- redemption_compensation.cpp --

/// Issues the compensation of `b` unless the ledger already has it.
void compensate(step& st, Branch b);
/// Records COMPENSATED when every compensation in the ledger is confirmed.
void maybe_finish(step& st);
void on_compensation_confirmed(step& st, Branch b, std::string detail);
void on_compensation_delivery_failed(step& st, Branch b, const std::string& error);
void on_compensation_rejected(step& st, Branch b, const std::string& reason);
void on_retry_timer(step& st, Branch b);
void on_operator_retry(step& st);

} // namespace sagaforge::redemption::detail
