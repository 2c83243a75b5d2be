// Fulfillment saga: Commands (fulfillment.proto) and the participants' replies, dispatched to
// the forward (saga_forward.cpp) and compensation (saga_compensate.cpp) handlers; Events
// applied to State here.
#include "actors/fulfillment/saga_internal.hpp"

#include <algorithm>

#include "envelope.pb.h"
#include "inventory.pb.h"
#include "order.pb.h"
#include "payment.pb.h"
#include "runtime/entity_ref.hpp"
#include "shipment.pb.h"
#include "runtime/retry_policy.hpp"

namespace sagaforge::fulfillment {

namespace detail {

void saga_run::emit(SagaEvent ev) {
  apply_saga(s, ev);
  ctx.persist(std::move(ev));
}

std::string participant_of(const saga_run& r, int step) {
  if (step < r.charge_step())
    return inventory_ref(r.s.order().lines(step).sku());
  if (step == r.charge_step())
    return payment_ref(r.id);
  return shipment_ref(r.id);
}

namespace {

/// The step a participant's message is about; -1 when it does not belong to this saga.
int step_of_line(const saga_run& r, const std::string& order_id, int32_t line) {
  if (order_id != r.id || line < 0 || line >= r.charge_step())
    return -1;
  return line;
}

/// A participant's reply, or the copy of our own message a DeliveryFailed carries.
bool on_inventory(saga_run& r, const inbound& in) {
  using namespace inventory;
  if (ReserveResult x; in.parse(x)) {
    auto kind = x.ok() ? result_kind::success : result_kind::business_failure;
    on_step_result(r, step_of_line(r, x.order_id(), x.line()), x.attempt(), kind,
                   x.ok() ? "reserved" : x.reason());
  } else if (ReleaseResult x; in.parse(x)) {
    on_compensated(r, step_of_line(r, x.order_id(), x.line()), x.attempt(), true,
                   "released " + std::to_string(x.released()));
  } else if (CommitResult x; in.parse(x)) {
    if (step_of_line(r, x.order_id(), x.line()) >= 0)
      on_commit_result(r, x.line(), x.ok());
  } else {
    return false;
  }
  return true;
}

result_kind kind_of(payment::ChargeResult::Outcome o) {
  switch (o) {
    case payment::ChargeResult::CHARGED:
      return result_kind::success;
    case payment::ChargeResult::DECLINED:
      return result_kind::business_failure;
    default:
      return result_kind::transient_failure;
  }
}

result_kind kind_of(shipment::ScheduleResult::Outcome o) {
  switch (o) {
    case shipment::ScheduleResult::SCHEDULED:
      return result_kind::success;
    case shipment::ScheduleResult::IMPOSSIBLE:
      return result_kind::business_failure;
    default:
      return result_kind::transient_failure;
  }
}

bool on_payment_or_shipment(saga_run& r, const inbound& in) {
  if (payment::ChargeResult x; in.parse(x)) {
    auto kind = kind_of(x.outcome());
    std::string text = x.reason();
    if (kind == result_kind::success)
      text = "charged " + std::to_string(r.s.order().total_cents());
    else if (kind == result_kind::business_failure)
      text = "payment declined: " + x.reason();
    on_step_result(r, x.order_id() == r.id ? r.charge_step() : -1, x.attempt(), kind, text);
  } else if (payment::RefundResult x; in.parse(x)) {
    on_compensated(r, r.charge_step(), x.attempt(), true,
                   "refunded " + std::to_string(x.refunded_cents()));
  } else if (shipment::ScheduleResult x; in.parse(x)) {
    auto kind = kind_of(x.outcome());
    std::string text = x.reason();
    if (kind == result_kind::success)
      text = x.tracking_id();
    else if (kind == result_kind::business_failure)
      text = "shipment impossible: " + x.reason();
    on_step_result(r, r.ship_step(), x.attempt(), kind, text);
  } else if (shipment::CancelResult x; in.parse(x)) {
    on_compensated(r, r.ship_step(), x.attempt(), x.ok(), x.ok() ? "cancelled" : x.reason());
  } else {
    return false;
  }
  return true;
}

/// Sends again what must arrive whatever the saga's state: stock commits, order updates —
/// unless the receiver refused it as poison or has no such type (resending cannot help).
/// (decide_context has no send of raw typed bytes, so each type is parsed and re-sent.)
void resend_durable(saga_run& r, const inbound& copy, const DeliveryFailed& df) {
  auto& to = df.receiver();
  if (to.empty() || validate_ref(to) || df.reason() == "poison" || df.reason() == "undeliverable")
    return;
  if (inventory::Commit x; copy.parse(x))
    r.ctx.send(to, x, r.id);
  else if (order::ConfirmOrder x; copy.parse(x))
    r.ctx.send(to, x, r.id);
  else if (order::CloseCancelled x; copy.parse(x))
    r.ctx.send(to, x, r.id);
  else if (order::RefuseCancel x; copy.parse(x))
    r.ctx.send(to, x, r.id);
  else if (order::NoteProgress x; copy.parse(x))
    r.ctx.send(to, x, r.id);
}

/// One of our messages could not be delivered (retry policy exhausted) or was poison there:
/// its outcome is unknown, so it counts as a transient failure of its step (or its undo).
/// An undo the runtime could not deliver. Poison (the participant fails on it), an invalid
/// message or an undeliverable ref cannot succeed by resending, and undos are resent until
/// answered: resending those would loop through the dead letters forever. The saga parks
/// instead, visible to the operator; anything else (resends exhausted) is sent again.
void undo_not_delivered(saga_run& r, int k, uint32_t attempt, const DeliveryFailed& df,
                        const std::string& why) {
  auto& reason = df.reason();
  if (reason == "poison" || reason == "undeliverable" || reason == "invalid")
    on_compensated(r, k, attempt, false, why);
  else
    on_compensation_failure(r, k, attempt, why);
}

void on_delivery_failed(saga_run& r, const DeliveryFailed& df) {
  inbound copy{df.type(), df.payload(), "", df.envelope_id(), r.id, false};
  auto why = "delivery to " + df.receiver() + " failed (" + df.reason() + ")";
  if (inventory::Reserve x; copy.parse(x))
    on_step_result(r, step_of_line(r, x.order_id(), x.line()), x.attempt(),
                   result_kind::transient_failure, why);
  else if (payment::Charge x; copy.parse(x))
    on_step_result(r, r.charge_step(), x.attempt(), result_kind::transient_failure, why);
  else if (shipment::Schedule x; copy.parse(x))
    on_step_result(r, r.ship_step(), x.attempt(), result_kind::transient_failure, why);
  else if (inventory::Release x; copy.parse(x))
    undo_not_delivered(r, step_of_line(r, x.order_id(), x.line()), x.attempt(), df, why);
  else if (payment::Refund x; copy.parse(x))
    undo_not_delivered(r, r.charge_step(), x.attempt(), df, why);
  else if (shipment::CancelShipment x; copy.parse(x))
    undo_not_delivered(r, r.ship_step(), x.attempt(), df, why);
  else
    resend_durable(r, copy, df);
}

bool from_participant(const saga_run& r, const std::string& sender) {
  if (sender == payment_ref(r.id) || sender == shipment_ref(r.id))
    return true;
  for (auto& l : r.s.order().lines())
    if (sender == inventory_ref(l.sku()))
      return true;
  return false;
}

void on_rejected(saga_run& r, const Rejected& rj) {
  if (!r.forward() || r.s.current() < 0 || r.s.current() >= r.steps())
    return;
  auto k = r.s.current();
  auto expected = k < r.charge_step()    ? type_name_of<inventory::Reserve>()
                  : k == r.charge_step() ? type_name_of<payment::Charge>()
                                         : type_name_of<shipment::Schedule>();
  if (rj.command_type() == expected)
    on_step_result(r, k, r.s.steps(k).attempts(), result_kind::business_failure,
                   "rejected: " + rj.reason());
}

void decide_input(const SagaState& s, const inbound& in, saga_run& r) {
  auto& ctx = r.ctx;
  if (StartFulfillment st; in.parse(st)) {
    if (in.sender() != order_ref(r.id) || st.order_id() != r.id || st.lines_size() == 0)
      return ctx.reject("a saga is started by its own order, with at least one line");
    return on_start(r, st);
  }
  if (in.is<GetSaga>())
    return ctx.reply(s);
  if (!s.started())
    return ctx.reject("saga " + r.id + " has not started");
  if (is_operator_command(in))
    return on_operator_command(r, in);
  bool internal = in.sender().empty();  // timers and delivery failures
  if (StepTimeout t; internal && in.parse(t)) {
    on_step_timer(r, t);
  } else if (RetryStep t; internal && in.parse(t)) {
    on_retry_timer(r, t);
  } else if (DeliveryFailed df; internal && in.parse(df)) {
    on_delivery_failed(r, df);
  } else if (CustomerCancel c; in.parse(c)) {
    if (in.sender() != order_ref(r.id))
      return ctx.reject("cancel through order/" + r.id);
    on_customer_cancel(r, c);
  } else if (Rejected rj; in.parse(rj)) {
    on_rejected(r, rj);
  } else if (!from_participant(r, in.sender())) {
    ctx.reject("fulfillment saga does not take " + in.type() + " from '" + in.sender() + "'");
  } else if (!on_inventory(r, in) && !on_payment_or_shipment(r, in)) {
    ctx.reject("fulfillment saga does not understand " + in.type());
  }
}

} // namespace

void decide(const SagaState& s, const inbound& in, ctx_t& ctx, const fulfillment_config& cfg) {
  saga_run r{s, ctx, cfg, std::string{ref_id(ctx.self())}};
  decide_input(s, in, r);
  // A finished saga leaves memory once its last message is acked, instead of after the idle
  // timeout; a late message (a GetSaga, a customer cancel) re-activates it from its snapshot.
  if (is_settled(r.s))
    ctx.passivate();
}

} // namespace detail

bool is_settled(const SagaState& s) {
  return s.finished_ms() != 0 && s.status() != SagaState::RUNNING
         && s.status() != SagaState::COMPENSATING && s.commits_pending_size() == 0;
}

int64_t saga_backoff_ms(const fulfillment_config& cfg, const std::string& order_id, int step,
                        uint32_t attempt) {
  auto base = retry_policy{cfg.retry_initial_backoff_ms, cfg.retry_max_backoff_ms}.base_delay_ms(
    attempt);
  auto jitter = permille_of(order_id + "#backoff#" + std::to_string(step), attempt);
  return base + base * jitter / 2000;
}

entity_logic_ptr make_saga_logic(config_ptr cfg) {
  return std::make_shared<entity_definition<SagaState, SagaEvent>>(
    "fulfillment",
    [cfg](const SagaState& s, const inbound& in, detail::ctx_t& ctx) {
      detail::decide(s, in, ctx, *cfg);
    },
    detail::apply_saga, cfg->snapshot_every);
}

} // namespace sagaforge::fulfillment
