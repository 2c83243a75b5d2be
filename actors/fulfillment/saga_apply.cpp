// The saga's apply: how each event changes SagaState (steps, statuses, ledger). Total and pure;
// used live (saga_run::emit and the runtime) and on recovery.
#include <algorithm>

#include "actors/fulfillment/saga_internal.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::fulfillment::detail {

namespace {

void add_ledger(SagaState& s, int64_t at_ms, const char* kind, const std::string& step,
                const std::string& detail) {
  auto* e = s.add_ledger();
  e->set_at_ms(at_ms);
  e->set_kind(kind);
  e->set_step(step);
  e->set_detail(detail);
}

SagaStep* step_at(SagaState& s, int k) {
  return k >= 0 && k < s.steps_size() ? s.mutable_steps(k) : nullptr;
}

void build_steps(SagaState& s) {
  auto& o = s.order();
  for (int i = 0; i < o.lines_size(); ++i) {
    auto* st = s.add_steps();
    st->set_name("reserve " + o.lines(i).sku() + " x" + std::to_string(o.lines(i).quantity()));
    st->set_kind(SagaStep::RESERVE);
    st->set_line(i);
  }
  auto* charge = s.add_steps();
  charge->set_name("charge " + std::to_string(o.total_cents()) + " cents");
  charge->set_kind(SagaStep::CHARGE);
  auto* ship = s.add_steps();
  ship->set_name("ship to " + o.ship_to());
  ship->set_kind(SagaStep::SHIP);
}

void apply_step_event(SagaState& s, const SagaEvent& ev) {
  switch (ev.kind_case()) {
    case SagaEvent::kStepStarted: {
      auto& e = ev.step_started();
      if (auto* st = step_at(s, e.step())) {
        st->set_status(SagaStep::RUNNING);
        st->set_attempts(e.attempt());
        if (e.attempt() == 1)
          st->set_started_ms(e.at_ms());
        s.set_current(e.step());
      }
      break;
    }
    case SagaEvent::kStepSucceeded:
      if (auto* st = step_at(s, ev.step_succeeded().step())) {
        st->set_status(SagaStep::DONE);
        st->set_finished_ms(ev.step_succeeded().at_ms());
        st->set_detail(ev.step_succeeded().detail());
        add_ledger(s, ev.step_succeeded().at_ms(), "done", st->name(), st->detail());
      }
      break;
    case SagaEvent::kStepFailed:
      if (auto* st = step_at(s, ev.step_failed().step())) {
        st->set_status(SagaStep::FAILED);
        st->set_finished_ms(ev.step_failed().at_ms());
        st->set_last_error(ev.step_failed().error());
      }
      break;
    case SagaEvent::kRetryScheduled:
      if (auto* st = step_at(s, ev.retry_scheduled().step())) {
        st->set_status(SagaStep::RETRY_WAIT);
        st->set_last_error(ev.retry_scheduled().error());
      }
      break;
    default:
      break;
  }
}

void apply_compensation_event(SagaState& s, const SagaEvent& ev) {
  switch (ev.kind_case()) {
    case SagaEvent::kCompensationStarted:
      s.set_status(SagaState::COMPENSATING);
      s.set_reason(ev.compensation_started().reason());
      break;
    case SagaEvent::kCompensationSent:
      if (auto* st = step_at(s, ev.compensation_sent().step())) {
        st->set_status(SagaStep::COMPENSATING);
        st->set_compensation_attempts(ev.compensation_sent().attempt());
        s.set_current(ev.compensation_sent().step());
      }
      break;
    case SagaEvent::kStepCompensated:
      if (auto* st = step_at(s, ev.step_compensated().step())) {
        st->set_status(SagaStep::COMPENSATED);
        st->set_compensated_ms(ev.step_compensated().at_ms());
        add_ledger(s, ev.step_compensated().at_ms(), "undone", st->name(),
                   ev.step_compensated().detail());
      }
      break;
    case SagaEvent::kLateResultUndone:
      if (auto* st = step_at(s, ev.late_result_undone().step()))
        add_ledger(s, ev.late_result_undone().at_ms(), "late", st->name(),
                   "late result (" + ev.late_result_undone().detail() + ") undone again");
      break;
    default:
      break;
  }
}

/// The ledger entry of an operator command; SKIP marks its step, and RETRY or SKIP of a parked
/// saga re-open it (COMPENSATING again, not finished).
void apply_operator(SagaState& s, const OperatorActed& e) {
  auto* st = step_at(s, e.step());
  std::string step = st ? st->name() : std::string{"saga"};
  if (e.action() == OperatorActed::SKIP) {
    add_ledger(s, e.at_ms(), "skipped", step, "undo skipped by operator: " + e.note());
    if (st)
      st->set_status(SagaStep::SKIPPED);
  } else {
    auto what = e.action() == OperatorActed::RETRY ? "retry: " : "compensate: ";
    add_ledger(s, e.at_ms(), "operator", step, what + e.note());
  }
  if (e.action() != OperatorActed::COMPENSATE && s.status() == SagaState::COMPENSATION_FAILED) {
    s.set_status(SagaState::COMPENSATING);
    s.set_finished_ms(0);
    s.set_current(e.step());
  }
}

} // namespace

void apply_saga(SagaState& s, const SagaEvent& ev) {
  switch (ev.kind_case()) {
    case SagaEvent::kStarted:
      *s.mutable_order() = ev.started().order();
      s.set_started(true);
      s.set_status(SagaState::RUNNING);
      s.set_started_ms(ev.started().at_ms());
      build_steps(s);
      break;
    case SagaEvent::kFinalizeStarted:
      for (int i = 0; i < s.order().lines_size(); ++i)
        s.add_commits_pending(i);
      break;
    case SagaEvent::kLineCommitted: {
      auto* pending = s.mutable_commits_pending();
      auto i = std::find(pending->begin(), pending->end(), ev.line_committed().line());
      if (i != pending->end()) {
        pending->erase(i);
        add_ledger(s, ev.line_committed().at_ms(), "done",
                   "commit line " + std::to_string(ev.line_committed().line()), "stock shipped");
      }
      break;
    }
    case SagaEvent::kFinished:
      s.set_status(ev.finished().status());
      s.set_finished_ms(ev.finished().at_ms());
      if (!ev.finished().reason().empty())
        s.set_reason(ev.finished().reason());
      s.set_current(-1);
      break;
    case SagaEvent::kCancelRefused:
      s.set_cancel_refusals(s.cancel_refusals() + 1);
      add_ledger(s, ev.cancel_refused().at_ms(), "refused", "customer cancel",
                 ev.cancel_refused().reason());
      break;
    case SagaEvent::kOperatorActed:
      apply_operator(s, ev.operator_acted());
      break;
    case SagaEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("SagaEvent of no kind (corrupt, or from a newer build)");
    default:
      apply_step_event(s, ev);
      apply_compensation_event(s, ev);
      break;
  }
}

} // namespace sagaforge::fulfillment::detail
