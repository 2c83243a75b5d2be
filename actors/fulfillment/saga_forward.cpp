// The saga's forward path: start, one step at a time with a durable timeout, retries with
// backoff for transient failures, then finalize (commit stock, confirm the order) once the
// shipment is scheduled — the point after which a customer cancel is refused.
#include "actors/fulfillment/saga_internal.hpp"

#include "inventory.pb.h"
#include "order.pb.h"
#include "payment.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/retry_policy.hpp"
#include "shipment.pb.h"

namespace sagaforge::fulfillment::detail {

namespace {

constexpr const char* step_timer = "step";

void note_progress(saga_run& r, const std::string& step) {
  order::NoteProgress p;
  p.set_step(step);
  r.ctx.send(order_ref(r.id), p, r.id);
}

int64_t total_items(const StartFulfillment& o) {
  int64_t n = 0;
  for (auto& l : o.lines())
    n += l.quantity();
  return n;
}

void send_command(saga_run& r, int k, uint32_t attempt) {
  auto& o = r.s.order();
  auto to = participant_of(r, k);
  if (k < r.charge_step()) {
    inventory::Reserve cmd;
    cmd.set_order_id(r.id);
    cmd.set_line(k);
    cmd.set_quantity(o.lines(k).quantity());
    cmd.set_attempt(attempt);
    r.ctx.send(to, cmd, r.id);
  } else if (k == r.charge_step()) {
    payment::Charge cmd;
    cmd.set_order_id(r.id);
    cmd.set_amount_cents(o.total_cents());
    cmd.set_card(o.card());
    cmd.set_attempt(attempt);
    r.ctx.send(to, cmd, r.id);
  } else {
    shipment::Schedule cmd;
    cmd.set_order_id(r.id);
    cmd.set_ship_to(o.ship_to());
    cmd.set_items(total_items(o));
    cmd.set_attempt(attempt);
    r.ctx.send(to, cmd, r.id);
  }
}

void send_commit(saga_run& r, int line, uint32_t attempt) {
  inventory::Commit c;
  c.set_order_id(r.id);
  c.set_line(line);
  c.set_attempt(attempt);
  r.ctx.send(inventory_ref(r.s.order().lines(line).sku()), c, r.id);
}

/// Past the last step: the shipment is scheduled, so the order is confirmed now and the
/// reserved stock committed; those messages are durable and need no further decision.
void finalize(saga_run& r) {
  SagaEvent ev;
  ev.mutable_finalize_started()->set_at_ms(r.ctx.now_ms());
  r.emit(ev);
  for (int line = 0; line < r.s.order().lines_size(); ++line)
    send_commit(r, line, 1);
  r.ctx.send(order_ref(r.id), order::ConfirmOrder{}, r.id);
  SagaEvent fin;
  fin.mutable_finished()->set_status(SagaState::COMPLETED);
  fin.mutable_finished()->set_at_ms(r.ctx.now_ms());
  r.emit(fin);
}

void advance(saga_run& r, int next) {
  if (next >= r.steps())
    return finalize(r);
  if (next == r.charge_step())
    note_progress(r, "RESERVED");
  else if (next == r.ship_step())
    note_progress(r, "PAID");
  send_step(r, next, 1);
}

void transient_failure(saga_run& r, int k, const std::string& why) {
  auto& step = r.s.steps(k);
  auto attempt = step.attempts();
  retry_policy policy{r.cfg.retry_initial_backoff_ms, r.cfg.retry_max_backoff_ms,
                      r.cfg.step_max_attempts};
  if (policy.exhausted(attempt))
    return start_compensation(r, step.name() + " gave up after " + std::to_string(attempt)
                                   + " attempts: " + why);
  auto backoff = saga_backoff_ms(r.cfg, r.id, k, attempt);
  SagaEvent ev;
  auto* e = ev.mutable_retry_scheduled();
  e->set_step(k);
  e->set_attempt(attempt);
  e->set_at_ms(r.ctx.now_ms());
  e->set_error(why);
  e->set_backoff_ms(backoff);
  r.emit(ev);
  RetryStep retry;
  retry.set_step(k);
  retry.set_attempt(attempt + 1);
  r.ctx.set_timer(step_timer, backoff, retry);  // replaces the step's timeout
}

} // namespace

void on_start(saga_run& r, const StartFulfillment& start) {
  if (r.s.started())
    return;  // the order sends it once; a duplicate changes nothing
  SagaEvent ev;
  *ev.mutable_started()->mutable_order() = start;
  ev.mutable_started()->set_at_ms(r.ctx.now_ms());
  r.emit(ev);
  send_step(r, 0, 1);
}

void send_step(saga_run& r, int k, uint32_t attempt) {
  SagaEvent ev;
  ev.mutable_step_started()->set_step(k);
  ev.mutable_step_started()->set_attempt(attempt);
  ev.mutable_step_started()->set_at_ms(r.ctx.now_ms());
  r.emit(ev);
  send_command(r, k, attempt);
  StepTimeout t;
  t.set_step(k);
  t.set_attempt(attempt);
  r.ctx.set_timer(step_timer, r.cfg.step_timeout_ms, t);
}

void on_step_result(saga_run& r, int k, uint32_t attempt, result_kind kind,
                    const std::string& text) {
  if (k < 0 || k >= r.steps())
    return;
  if (!r.forward()) {
    if (kind == result_kind::success)
      undo_late_result(r, k, text);
    return;
  }
  auto status = r.s.steps(k).status();
  if (k != r.s.current() || (status != SagaStep::RUNNING && status != SagaStep::RETRY_WAIT))
    return;  // a duplicate of a result already taken
  if (kind == result_kind::success) {
    SagaEvent ev;
    ev.mutable_step_succeeded()->set_step(k);
    ev.mutable_step_succeeded()->set_at_ms(r.ctx.now_ms());
    ev.mutable_step_succeeded()->set_detail(text);
    r.emit(ev);
    r.ctx.cancel_timer(step_timer);
    return advance(r, k + 1);
  }
  if (kind == result_kind::business_failure) {
    SagaEvent ev;
    ev.mutable_step_failed()->set_step(k);
    ev.mutable_step_failed()->set_at_ms(r.ctx.now_ms());
    ev.mutable_step_failed()->set_error(text);
    r.emit(ev);
    return start_compensation(r, text);
  }
  if (status == SagaStep::RUNNING && attempt == r.s.steps(k).attempts())
    transient_failure(r, k, text);  // else: an older attempt's failure, already superseded
}

void on_step_timer(saga_run& r, const StepTimeout& t) {
  if (t.compensation())
    return on_compensation_failure(r, t.step(), t.attempt(),
                                   "no answer to send " + std::to_string(t.attempt()));
  auto k = t.step();
  if (r.forward() && k == r.s.current() && k >= 0 && k < r.steps()
      && r.s.steps(k).status() == SagaStep::RUNNING && t.attempt() == r.s.steps(k).attempts()
      && r.ctx.awaiting_ack(participant_of(r, k))) {
    // The command has not reached the participant yet (a member down: the runtime holds it
    // and resends it). The timeout measures the participant's answer, so it starts over
    // instead of counting an attempt: an outage delays the order rather than cancelling it.
    // If the runtime gives up on the send, its DeliveryFailed is the step's failure.
    r.ctx.set_timer(step_timer, r.cfg.step_timeout_ms, t);
    return;
  }
  on_step_result(r, k, t.attempt(), result_kind::transient_failure,
                 "no result within " + std::to_string(r.cfg.step_timeout_ms) + " ms");
}

void on_retry_timer(saga_run& r, const RetryStep& t) {
  if (r.forward() && t.step() == r.s.current() && t.step() < r.steps()
      && r.s.steps(t.step()).status() == SagaStep::RETRY_WAIT)
    send_step(r, t.step(), t.attempt());
}

void on_commit_result(saga_run& r, int line, bool ok) {
  bool pending = false;
  for (auto l : r.s.commits_pending())
    pending = pending || l == line;
  if (!pending)
    return;
  if (!ok)
    return;  // cannot happen while the saga owns the reservation: stays pending, visible
  SagaEvent ev;
  ev.mutable_line_committed()->set_line(line);
  ev.mutable_line_committed()->set_at_ms(r.ctx.now_ms());
  r.emit(ev);
}

void on_customer_cancel(saga_run& r, const CustomerCancel& c) {
  if (r.forward())
    return start_compensation(r, "cancelled by customer: " + c.reason());
  if (r.s.status() != SagaState::COMPLETED)
    return;  // compensating or compensated already
  auto& ship = r.s.steps(r.ship_step());
  std::string why = "order " + r.id + " is already shipped (" + ship.detail() + "): cancel refused";
  SagaEvent ev;
  ev.mutable_cancel_refused()->set_reason(why);
  ev.mutable_cancel_refused()->set_at_ms(r.ctx.now_ms());
  r.emit(ev);
  order::RefuseCancel refuse;
  refuse.set_reason(why);
  r.ctx.send(order_ref(r.id), refuse, r.id);
}

} // namespace sagaforge::fulfillment::detail
