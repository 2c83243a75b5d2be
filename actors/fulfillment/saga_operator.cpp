// The operator commands of the fulfillment saga (RetryNow, CompensateNow, SkipCompensation):
// the plan of each (saga_operator.hpp) and how the saga carries it out. Each taken command is
// recorded as OperatorActed (in the ledger), then acts through the saga's own paths: a new
// attempt of the step, start_compensation, the next undo. Nothing is edited in place.
#include "actors/fulfillment/saga_operator.hpp"

#include "actors/fulfillment/saga_internal.hpp"
#include "order.pb.h"
#include "runtime/entity_ref.hpp"

namespace sagaforge::fulfillment {

namespace {

std::string status_text(const SagaState& s) {
  return SagaState::Status_Name(s.status());
}

/// The step whose undo parked the saga (still COMPENSATING); -1 when none.
int parked_step(const SagaState& s) {
  for (int k = s.steps_size() - 1; k >= 0; --k)
    if (s.steps(k).status() == SagaStep::COMPENSATING)
      return k;
  return -1;
}

/// The names of the steps still to undo below `below` (all when below = steps), last first.
std::string undo_list(const SagaState& s, int below) {
  std::string out;
  for (int k = below - 1; k >= 0; --k)
    if (detail::needs_undo(s.steps(k)))
      out += (out.empty() ? "" : ", ") + s.steps(k).name();
  return out.empty() ? "nothing" : out;
}

operator_plan plan_retry(const SagaState& s) {
  operator_plan p;
  auto k = s.status() == SagaState::COMPENSATION_FAILED ? parked_step(s) : s.current();
  if (k < 0 || k >= s.steps_size()) {
    p.error = "saga is " + status_text(s) + ": it waits on no step, nothing to retry";
    return p;
  }
  auto& st = s.steps(k);
  p.step = k;
  if (s.status() == SagaState::RUNNING
      && (st.status() == SagaStep::RUNNING || st.status() == SagaStep::RETRY_WAIT)) {
    p.what = "send " + st.name() + " again now as attempt " + std::to_string(st.attempts() + 1)
             + (st.status() == SagaStep::RETRY_WAIT ? " instead of after its backoff"
                                                    : " (attempt " + std::to_string(st.attempts())
                                                        + " is unanswered)");
    return p;
  }
  if (st.status() == SagaStep::COMPENSATING
      && (s.status() == SagaState::COMPENSATING || s.status() == SagaState::COMPENSATION_FAILED)) {
    p.what = std::string{s.status() == SagaState::COMPENSATION_FAILED ? "re-open the compensation: " : ""}
             + "send the undo of " + st.name() + " again now as undo attempt "
             + std::to_string(st.compensation_attempts() + 1);
    return p;
  }
  p.error = "saga is " + status_text(s) + " and step " + std::to_string(k) + " (" + st.name()
            + ") is " + SagaStep::Status_Name(st.status()) + ": nothing to retry";
  return p;
}

operator_plan plan_compensate(const SagaState& s) {
  operator_plan p;
  if (s.status() != SagaState::RUNNING) {
    p.error = "saga is " + status_text(s) + ": only a RUNNING saga can be compensated"
              + (s.status() == SagaState::COMPENSATING ? " (it is compensating already)" : "");
    return p;
  }
  p.step = s.current();
  auto at = p.step >= 0 && p.step < s.steps_size() ? s.steps(p.step).name() : std::string{"start"};
  p.what = "stop at " + at + " and undo " + undo_list(s, s.steps_size())
           + "; the order is cancelled";
  return p;
}

operator_plan plan_skip(const SagaState& s, int step) {
  operator_plan p;
  if (s.status() != SagaState::COMPENSATION_FAILED) {
    p.error = "saga is " + status_text(s)
              + ": only a COMPENSATION_FAILED saga has a compensation to skip";
    return p;
  }
  auto k = parked_step(s);
  if (k < 0) {
    p.error = "saga is COMPENSATION_FAILED but no undo is parked";
    return p;
  }
  if (step >= 0 && step != k) {
    p.error = "step " + std::to_string(step) + " is not the parked one; the parked undo is step "
              + std::to_string(k) + " (" + s.steps(k).name() + ")";
    return p;
  }
  p.step = k;
  p.what = "skip the undo of " + s.steps(k).name() + " (" + s.reason() + "), then undo "
           + undo_list(s, k) + "; the saga ends COMPENSATED_WITH_SKIPS";
  return p;
}

} // namespace

operator_plan plan_operator_action(const SagaState& s, operator_action action, int step) {
  if (!s.started())
    return {"saga has not started", -1, {}};
  switch (action) {
    case operator_action::retry:
      return plan_retry(s);
    case operator_action::compensate:
      return plan_compensate(s);
    case operator_action::skip:
      return plan_skip(s, step);
  }
  return {"unknown action", -1, {}};
}

namespace detail {

namespace {

/// Records the command taken; returns false (rejected) when the plan refuses it.
bool take(saga_run& r, const operator_plan& p, OperatorActed::Action action,
          const std::string& note) {
  if (!p.ok()) {
    r.ctx.reject(p.error);
    return false;
  }
  SagaEvent ev;
  auto* e = ev.mutable_operator_acted();
  e->set_action(action);
  e->set_step(p.step);
  e->set_at_ms(r.ctx.now_ms());
  e->set_note(note.empty() ? p.what : note.substr(0, 200));
  r.emit(ev);
  return true;
}

/// A parked saga taken up again: the order hears it is compensating once more.
void tell_order_compensating(saga_run& r) {
  order::NoteProgress p;
  p.set_step("COMPENSATING");
  r.ctx.send(order_ref(r.id), p, r.id);
}

} // namespace

bool is_operator_command(const inbound& in) {
  return in.is<RetryNow>() || in.is<CompensateNow>() || in.is<SkipCompensation>();
}

void on_operator_command(saga_run& r, const inbound& in) {
  if (!is_client_ref(in.sender()))
    return r.ctx.reject("operator commands come through the admin API (a client), not from '"
                        + in.sender() + "'");
  bool parked = r.s.status() == SagaState::COMPENSATION_FAILED;
  if (RetryNow c; in.parse(c)) {
    auto p = plan_operator_action(r.s, operator_action::retry);
    bool forward = r.forward();
    if (!take(r, p, OperatorActed::RETRY, c.note()))
      return;
    if (forward) {
      send_step(r, p.step, r.s.steps(p.step).attempts() + 1);
    } else {
      if (parked)
        tell_order_compensating(r);
      send_compensation(r, p.step, r.s.steps(p.step).compensation_attempts() + 1);
    }
  } else if (CompensateNow c; in.parse(c)) {
    auto p = plan_operator_action(r.s, operator_action::compensate);
    if (!take(r, p, OperatorActed::COMPENSATE, c.reason()))
      return;
    auto reason = c.reason().substr(0, 200);
    start_compensation(r, "compensated by operator" + (reason.empty() ? "" : ": " + reason));
  } else if (SkipCompensation c; in.parse(c)) {
    if (c.has_step() && c.step() < 0)
      return r.ctx.reject("SkipCompensation: step is a step index (0 or more)");
    auto p = plan_operator_action(r.s, operator_action::skip, c.has_step() ? c.step() : -1);
    if (!take(r, p, OperatorActed::SKIP, c.note()))
      return;
    tell_order_compensating(r);
    compensate_next(r);
  } else {
    return r.ctx.reject("the payload of " + in.type() + " does not parse");
  }
  r.ctx.reply(r.s);
}

} // namespace detail

} // namespace sagaforge::fulfillment
