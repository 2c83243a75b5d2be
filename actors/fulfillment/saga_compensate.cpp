// The saga's compensation: every step that may have taken effect (done, or sent with its
// outcome unknown) is undone in reverse order, one at a time, each send under a durable
// timeout that doubles per resend (capped). An undo is resent until it is answered (or up to
// compensation_max_attempts sends when that is set); an answer "cannot" parks the saga in
// COMPENSATION_FAILED. A success that arrives after its step was undone is undone again
// (compensations are idempotent at the participants).
#include "actors/fulfillment/saga_internal.hpp"

#include "inventory.pb.h"
#include "order.pb.h"
#include "payment.pb.h"
#include "shipment.pb.h"
#include "runtime/retry_policy.hpp"

namespace sagaforge::fulfillment::detail {

namespace {

constexpr const char* step_timer = "step";

void send_undo_command(saga_run& r, int k, uint32_t attempt) {
  auto to = participant_of(r, k);
  if (k < r.charge_step()) {
    inventory::Release cmd;
    cmd.set_order_id(r.id);
    cmd.set_line(k);
    cmd.set_attempt(attempt);
    r.ctx.send(to, cmd, r.id);
  } else if (k == r.charge_step()) {
    payment::Refund cmd;
    cmd.set_order_id(r.id);
    cmd.set_attempt(attempt);
    r.ctx.send(to, cmd, r.id);
  } else {
    shipment::CancelShipment cmd;
    cmd.set_order_id(r.id);
    cmd.set_attempt(attempt);
    r.ctx.send(to, cmd, r.id);
  }
}

/// How send `attempt` of an undo waits for its answer (doubling, capped) and how many sends
/// there are (0: until answered).
retry_policy undo_policy(const fulfillment_config& cfg) {
  return {cfg.compensation_timeout_ms, cfg.compensation_timeout_max_ms,
          cfg.compensation_max_attempts};
}

} // namespace

void send_compensation(saga_run& r, int k, uint32_t attempt) {
  SagaEvent ev;
  ev.mutable_compensation_sent()->set_step(k);
  ev.mutable_compensation_sent()->set_attempt(attempt);
  ev.mutable_compensation_sent()->set_at_ms(r.ctx.now_ms());
  r.emit(ev);
  send_undo_command(r, k, attempt);
  StepTimeout t;
  t.set_step(k);
  t.set_attempt(attempt);
  t.set_compensation(true);
  r.ctx.set_timer(step_timer, undo_policy(r.cfg).base_delay_ms(attempt), t);
}

namespace {

void finish(saga_run& r, SagaState::Status status, const std::string& reason) {
  r.ctx.cancel_timer(step_timer);
  SagaEvent ev;
  ev.mutable_finished()->set_status(status);
  ev.mutable_finished()->set_at_ms(r.ctx.now_ms());
  ev.mutable_finished()->set_reason(reason);
  r.emit(ev);
  if (status != SagaState::COMPENSATION_FAILED) {  // COMPENSATED (with or without skips)
    order::CloseCancelled close;
    close.set_reason(reason);
    r.ctx.send(order_ref(r.id), close, r.id);
  } else {
    order::NoteProgress p;
    p.set_step("COMPENSATION_FAILED");
    r.ctx.send(order_ref(r.id), p, r.id);
  }
}

} // namespace

bool needs_undo(const SagaStep& step) {
  auto st = step.status();
  return st == SagaStep::DONE || st == SagaStep::RUNNING || st == SagaStep::RETRY_WAIT;
}

void compensate_next(saga_run& r) {
  bool skipped = false;
  for (int k = r.steps() - 1; k >= 0; --k) {
    if (needs_undo(r.s.steps(k)))
      return send_compensation(r, k, 1);
    skipped = skipped || r.s.steps(k).status() == SagaStep::SKIPPED;
  }
  // An operator skipped an undo: the end state says so (the ledger says which).
  finish(r, skipped ? SagaState::COMPENSATED_WITH_SKIPS : SagaState::COMPENSATED, r.s.reason());
}

void start_compensation(saga_run& r, const std::string& reason) {
  r.ctx.cancel_timer(step_timer);
  SagaEvent ev;
  ev.mutable_compensation_started()->set_reason(reason);
  ev.mutable_compensation_started()->set_at_ms(r.ctx.now_ms());
  r.emit(ev);
  order::NoteProgress p;
  p.set_step("COMPENSATING");
  r.ctx.send(order_ref(r.id), p, r.id);
  compensate_next(r);
}

void on_compensated(saga_run& r, int k, uint32_t attempt, bool ok, const std::string& detail) {
  if (r.s.status() != SagaState::COMPENSATING || k != r.s.current() || k < 0 || k >= r.steps()
      || r.s.steps(k).status() != SagaStep::COMPENSATING)
    return;       // a duplicate, or the answer to an earlier send of an undo already taken
  (void)attempt;  // any attempt's success will do: undo commands are idempotent
  if (!ok)
    return finish(r, SagaState::COMPENSATION_FAILED,
                  "cannot undo " + r.s.steps(k).name() + ": " + detail);
  SagaEvent ev;
  ev.mutable_step_compensated()->set_step(k);
  ev.mutable_step_compensated()->set_at_ms(r.ctx.now_ms());
  ev.mutable_step_compensated()->set_detail(detail);
  r.emit(ev);
  compensate_next(r);
}

void on_compensation_failure(saga_run& r, int k, uint32_t attempt, const std::string& why) {
  if (r.s.status() != SagaState::COMPENSATING || k != r.s.current() || k < 0 || k >= r.steps()
      || r.s.steps(k).status() != SagaStep::COMPENSATING
      || r.s.steps(k).compensation_attempts() != attempt)
    return;
  if (undo_policy(r.cfg).exhausted(attempt))
    return finish(r, SagaState::COMPENSATION_FAILED,
                  "cannot undo " + r.s.steps(k).name() + " after " + std::to_string(attempt)
                    + " attempts: " + why);
  send_compensation(r, k, attempt + 1);
}

void undo_late_result(saga_run& r, int k, const std::string& detail) {
  auto st = r.s.steps(k).status();
  if (st != SagaStep::COMPENSATED && st != SagaStep::FAILED && st != SagaStep::PENDING)
    return;  // its undo is still to come, or in flight behind the command (per-channel order)
  SagaEvent ev;
  ev.mutable_late_result_undone()->set_step(k);
  ev.mutable_late_result_undone()->set_at_ms(r.ctx.now_ms());
  ev.mutable_late_result_undone()->set_detail(detail);
  r.emit(ev);
  send_undo_command(r, k, r.s.steps(k).compensation_attempts() + 1);
}

} // namespace sagaforge::fulfillment::detail
