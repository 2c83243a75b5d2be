// The redemption saga's operator commands: the plan of each (redemption_operator.hpp) and how
// the saga carries it out through its own paths — RetryCompensations resends the parked and
// the backing-off compensations, CompensateNow fails the saga (compensating what succeeded),
// SkipCompensation records CompensationSkipped and lets the ledger finish. Part of decide.
#include "actors/redemption/redemption_operator.hpp"

#include "actors/redemption/redemption_steps.hpp"
#include "runtime/entity_ref.hpp"

namespace sagaforge::redemption {

namespace {

std::string entries_in(const RedemptionState& s, CompensationStatus st, Branch only) {
  std::string out;
  for (auto& e : s.compensations())
    if (e.status() == st && (only == BRANCH_NONE || e.branch() == only))
      out += (out.empty() ? "" : ", ") + std::string{branch_name(e.branch())};
  return out;
}

std::string status_of(const RedemptionState& s) {
  return Status_Name(s.status());
}

operator_plan plan_retry(const RedemptionState& s) {
  operator_plan p;
  auto failed = entries_in(s, COMP_FAILED, BRANCH_NONE);
  auto waiting = entries_in(s, COMP_RETRY_WAIT, BRANCH_NONE);
  if (failed.empty() && waiting.empty()) {
    p.error = "saga is " + status_of(s) + " with no compensation given up or backing off: nothing"
              " to retry (the runtime resends unacknowledged commands itself)";
    return p;
  }
  p.step = failed.empty() ? waiting : (waiting.empty() ? failed : failed + ", " + waiting);
  if (!failed.empty())
    p.what = "send the given-up compensation of " + failed + " again (attempts start over)";
  if (!waiting.empty())
    p.what += (p.what.empty() ? "" : "; ") + std::string{"send the compensation of "} + waiting
              + " now instead of after its backoff";
  return p;
}

operator_plan plan_compensate(const RedemptionState& s) {
  operator_plan p;
  if (s.status() != STARTED && s.status() != AWAITING_EVENTS) {
    p.error = "saga is " + status_of(s)
              + ": only a saga still waiting on its branches (STARTED, AWAITING_EVENTS) can be"
                " compensated";
    return p;
  }
  std::string undo;
  for (auto b : {POINTS, INVENTORY}) {
    auto o = branch_state(s, b).outcome();
    if (o == SUCCEEDED || o == UNKNOWN)
      undo += (undo.empty() ? "" : ", ") + std::string{branch_name(b)};
  }
  p.step = status_of(s);
  p.what = "fail the redemption now and compensate " + (undo.empty() ? "nothing yet" : undo)
           + " (a branch answering later is compensated when it succeeds)";
  return p;
}

operator_plan plan_skip(const RedemptionState& s, Branch only) {
  operator_plan p;
  if (s.status() != COMPENSATION_FAILED) {
    p.error = "saga is " + status_of(s)
              + ": only a COMPENSATION_FAILED saga has a compensation to skip";
    return p;
  }
  auto failed = entries_in(s, COMP_FAILED, only);
  if (failed.empty()) {
    p.error = std::string{"no given-up compensation of "} + branch_name(only)
              + "; given up: " + entries_in(s, COMP_FAILED, BRANCH_NONE);
    return p;
  }
  p.step = failed;
  auto rest = entries_in(s, COMP_FAILED, BRANCH_NONE) != failed;
  p.what = "skip the compensation of " + failed
           + (rest ? "; the saga stays parked on the others"
                   : "; the saga ends COMPENSATED_WITH_SKIPS once nothing else is open");
  return p;
}

} // namespace

operator_plan plan_operator_action(const RedemptionState& s, operator_action action,
                                   Branch branch) {
  if (s.status() == NEW)
    return {"redemption was never started", {}, {}};
  switch (action) {
    case operator_action::retry:
      return plan_retry(s);
    case operator_action::compensate:
      return plan_compensate(s);
    case operator_action::skip:
      return plan_skip(s, branch);
  }
  return {"unknown action", {}, {}};
}

namespace detail {

bool is_operator_command(const inbound& in) {
  return in.is<RetryCompensations>() || in.is<CompensateNow>() || in.is<SkipCompensation>();
}

void on_operator_command(step& st, const inbound& in) {
  auto& ctx = st.ctx;
  if (!is_client_ref(in.sender()))
    return ctx.reject("operator commands come through the admin API (a client), not from '"
                      + in.sender() + "'");
  if (in.is<RetryCompensations>()) {
    auto p = plan_operator_action(st.next, operator_action::retry);
    if (!p.ok())
      return ctx.reject(p.error);
    on_operator_retry(st);  // replies
    return;
  }
  if (CompensateNow c; in.parse(c)) {
    auto p = plan_operator_action(st.next, operator_action::compensate);
    if (!p.ok())
      return ctx.reject(p.error);
    auto reason = c.reason().substr(0, static_cast<size_t>(st.cfg.reason_bytes_max));
    fail_now(st, "compensated by operator" + (reason.empty() ? "" : ": " + reason));
    return ctx.reply(st.next);
  }
  SkipCompensation c;
  if (!in.parse(c) || !Branch_IsValid(c.branch()) || c.branch() == VALIDATION)
    return ctx.reject("SkipCompensation: branch is points, inventory or none (every given-up one)");
  auto p = plan_operator_action(st.next, operator_action::skip, c.branch());
  if (!p.ok())
    return ctx.reject(p.error);
  skip_compensations(st, c.branch(), c.note());
  ctx.reply(st.next);
}

} // namespace detail

} // namespace sagaforge::redemption
