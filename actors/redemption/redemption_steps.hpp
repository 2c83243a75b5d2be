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

/// Failure started: FAILED, COMPENSATING, COMPENSATED(_WITH_SKIPS) or COMPENSATION_FAILED.
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
/// Resends the given-up compensations (attempts start over) and those backing off (now);
/// replies with the state.
void on_operator_retry(step& st);
/// Records CompensationSkipped for the given-up compensation of `b` (every one when
/// BRANCH_NONE), then finishes the saga when nothing else is open.
void skip_compensations(step& st, Branch b, const std::string& note);

// -- redemption.cpp --
/// The saga fails with `reason` and compensates what succeeded (as on a failed branch).
void fail_now(step& st, std::string reason);

// -- redemption_operator.cpp --
bool is_operator_command(const inbound& in);
/// RetryCompensations, CompensateNow, SkipCompensation: planned (redemption_operator.hpp),
/// carried out, answered with the state; rejected with the plan's reason.
void on_operator_command(step& st, const inbound& in);

} // namespace sagaforge::redemption::detail
