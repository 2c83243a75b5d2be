// The redemption saga's compensation ledger: issue RefundPoints / ReleaseRewardInventory
// for the branches that succeeded (or whose outcome is unknown), confirm them, resend after
// a backoff timer when delivery failed, and park the saga in COMPENSATION_FAILED when a
// compensation cannot succeed (rejected, or out of attempts). Part of the saga's decide.
#include <algorithm>

#include "actors/redemption/redemption_steps.hpp"
#include "points.pb.h"
#include "reward.pb.h"
#include "runtime/retry_policy.hpp"

namespace sagaforge::redemption::detail {

namespace {

const CompensationEntry* ledger_entry(const RedemptionState& s, Branch b) {
  for (auto& e : s.compensations())
    if (e.branch() == b)
      return &e;
  return nullptr;
}

/// Records and sends the compensation command of `b` (first send, retry or restart).
void issue(step& st, Branch b, bool restart) {
  RedemptionEvent ev;
  auto* c = ev.mutable_comp_issued();
  c->set_branch(b);
  c->set_restart(restart);
  auto to = participant(st.next, b);
  if (b == POINTS) {
    points::RefundPoints refund;
    refund.set_transaction_id(st.id);
    c->set_command(type_name_of<points::RefundPoints>());
    st.ctx.send(to, refund, st.id);
  } else {
    reward::ReleaseRewardInventory release;
    release.set_redemption_id(st.id);
    c->set_command(type_name_of<reward::ReleaseRewardInventory>());
    st.ctx.send(to, release, st.id);
  }
  st.emit(std::move(ev));
}

retry_policy compensation_policy(const loyalty::loyalty_config& cfg) {
  return {cfg.compensation_backoff_initial_ms, cfg.compensation_backoff_max_ms,
          cfg.compensation_attempts_max};
}

void give_up(step& st, Branch b, const std::string& error) {
  RedemptionEvent ev;
  ev.mutable_comp_gave_up()->set_branch(b);
  ev.mutable_comp_gave_up()->set_error(error.substr(0, static_cast<size_t>(st.cfg.reason_bytes_max)));
  st.emit(std::move(ev));
}

} // namespace

void compensate(step& st, Branch b) {
  if (ledger_entry(st.next, b) == nullptr)
    issue(st, b, false);
}

void maybe_finish(step& st) {
  auto status = st.next.status();
  if ((status != COMPENSATING && status != COMPENSATION_FAILED)
      || st.next.compensations().empty())
    return;
  for (auto& e : st.next.compensations())
    if (e.status() != COMP_DONE && e.status() != COMP_SKIPPED)
      return;
  RedemptionEvent ev;
  ev.mutable_compensated();
  st.emit(std::move(ev));
}

void on_compensation_confirmed(step& st, Branch b, std::string detail) {
  auto* e = ledger_entry(st.next, b);
  if (e == nullptr || e->status() == COMP_DONE || e->status() == COMP_SKIPPED)
    return;  // not asked for, confirmed before (another envelope), or skipped by an operator
  if (e->status() == COMP_RETRY_WAIT)
    st.ctx.cancel_timer(retry_timer(b));  // it had applied after all
  RedemptionEvent ev;
  ev.mutable_comp_confirmed()->set_branch(b);
  ev.mutable_comp_confirmed()->set_detail(std::move(detail));
  st.emit(std::move(ev));
  maybe_finish(st);
}

void on_compensation_delivery_failed(step& st, Branch b, const std::string& error) {
  auto* e = ledger_entry(st.next, b);
  if (e == nullptr || e->status() != COMP_PENDING)
    return;
  auto policy = compensation_policy(st.cfg);
  if (policy.exhausted(e->attempts()))
    return give_up(st, b, error + "; gave up after " + std::to_string(e->attempts())
                            + " attempts");
  auto delay = policy.base_delay_ms(e->attempts());
  RedemptionEvent ev;
  auto* r = ev.mutable_comp_retry();
  r->set_branch(b);
  r->set_due_at_ms(st.ctx.now_ms() + delay);
  r->set_error(error.substr(0, static_cast<size_t>(st.cfg.reason_bytes_max)));
  st.emit(std::move(ev));
  RetryCompensation payload;
  payload.set_branch(b);
  st.ctx.set_timer(retry_timer(b), delay, payload);
}

void on_compensation_rejected(step& st, Branch b, const std::string& reason) {
  auto* e = ledger_entry(st.next, b);
  if (e == nullptr || e->status() == COMP_DONE || e->status() == COMP_FAILED
      || e->status() == COMP_SKIPPED)
    return;
  if (e->status() == COMP_RETRY_WAIT)
    st.ctx.cancel_timer(retry_timer(b));
  give_up(st, b, "rejected by " + participant(st.next, b) + ": " + reason);  // cannot succeed
}

void on_retry_timer(step& st, Branch b) {
  auto* e = ledger_entry(st.next, b);
  if (e != nullptr && e->status() == COMP_RETRY_WAIT)
    issue(st, b, false);
}

void on_operator_retry(step& st) {
  for (auto b : {POINTS, INVENTORY}) {
    auto* e = ledger_entry(st.next, b);
    if (e == nullptr)
      continue;
    if (e->status() == COMP_FAILED) {
      issue(st, b, true);
    } else if (e->status() == COMP_RETRY_WAIT) {
      st.ctx.cancel_timer(retry_timer(b));  // sent now instead
      issue(st, b, false);
    }
  }
  st.ctx.reply(st.next);
}

void skip_compensations(step& st, Branch only, const std::string& note) {
  for (auto b : {POINTS, INVENTORY}) {
    auto* e = ledger_entry(st.next, b);
    if (e == nullptr || e->status() != COMP_FAILED || (only != BRANCH_NONE && b != only))
      continue;
    RedemptionEvent ev;
    ev.mutable_comp_skipped()->set_branch(b);
    ev.mutable_comp_skipped()->set_note(note.substr(0, static_cast<size_t>(st.cfg.reason_bytes_max)));
    st.emit(std::move(ev));
  }
  maybe_finish(st);
}

} // namespace sagaforge::redemption::detail
