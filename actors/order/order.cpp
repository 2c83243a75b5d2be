// Order entity: Commands (order.proto), Replies, Events, State, then the handlers.
#include "actors/order/order.hpp"

#include "envelope.pb.h"
#include "fulfillment.pb.h"
#include "order.pb.h"
#include "order_events.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::order {

namespace {

using ctx_t = decide_context<OrderEvent>;
using fulfillment::fulfillment_config;

void apply(OrderState& s, const OrderEvent& ev);

OrderState after(const OrderState& s, const OrderEvent& ev) {
  auto next = s;
  apply(next, ev);
  return next;
}

OrderView view_of(const OrderState& s) {
  OrderView v;
  v.set_order_id(s.order_id());
  v.set_customer_id(s.customer_id());
  *v.mutable_lines() = s.lines();
  v.set_total_cents(s.total_cents());
  v.set_status(s.status());
  v.set_progress(s.progress());
  v.set_reason(s.reason());
  v.set_cancel_requested(s.cancel_requested());
  v.set_cancel_refused(s.cancel_refused());
  v.set_created_ms(s.created_ms());
  v.set_finished_ms(s.finished_ms());
  return v;
}

void on_create(const OrderState& s, const CreateOrder& c, ctx_t& ctx,
               const fulfillment_config& cfg) {
  if (!s.status().empty()) {
    auto v = view_of(s);  // the id is the idempotency key: the first create wins
    v.set_existing(true);
    return ctx.reply(v);
  }
  std::string id{ref_id(ctx.self())};
  if (auto err = validate_create(c, id, cfg); !err.empty())
    return ctx.reject("invalid order: " + err);
  OrderEvent ev;
  auto* e = ev.mutable_created();
  e->set_order_id(id);
  e->set_customer_id(c.customer_id());
  *e->mutable_lines() = c.lines();
  int64_t total = 0;
  for (auto& l : c.lines())
    total += l.quantity() * l.unit_price_cents();
  e->set_total_cents(total);
  e->set_card(c.card().empty() ? "tok_default" : c.card());
  e->set_ship_to(c.ship_to().empty() ? "default" : c.ship_to());
  e->set_at_ms(ctx.now_ms());
  ctx.persist(ev);
  fulfillment::StartFulfillment start;
  start.set_order_id(id);
  start.set_customer_id(e->customer_id());
  *start.mutable_lines() = e->lines();
  start.set_total_cents(total);
  start.set_card(e->card());
  start.set_ship_to(e->ship_to());
  ctx.send(fulfillment::saga_ref(id), start, id);
  ctx.reply(view_of(after(s, ev)));
}

void on_cancel(const OrderState& s, const CancelOrder& c, ctx_t& ctx) {
  std::string id{ref_id(ctx.self())};
  if (s.status().empty())
    return ctx.reject("no order " + id);
  if (s.status() == "CONFIRMED")
    return ctx.reject("order " + id + " is already shipped and confirmed: cancel refused");
  if (!s.cancel_refused().empty())
    return ctx.reject(s.cancel_refused());
  if (s.status() == "CANCELLED" || s.cancel_requested())
    return ctx.reply(view_of(s));  // idempotent
  OrderEvent ev;
  ev.mutable_cancel_requested()->set_reason(c.reason().empty() ? "customer request"
                                                               : c.reason().substr(0, 200));
  ev.mutable_cancel_requested()->set_at_ms(ctx.now_ms());
  ctx.persist(ev);
  fulfillment::CustomerCancel cc;
  cc.set_reason(ev.cancel_requested().reason());
  ctx.send(fulfillment::saga_ref(id), cc, id);
  ctx.reply(view_of(after(s, ev)));
}

void publish(const OrderState& s, ctx_t& ctx, const fulfillment_config& cfg) {
  OrderOutcome out;
  out.set_order_id(s.order_id());
  out.set_customer_id(s.customer_id());
  out.set_status(s.status());
  out.set_total_cents(s.total_cents());
  out.set_reason(s.reason());
  out.set_at_ms(s.finished_ms());
  ctx.send(fulfillment::notification_ref(s.customer_id()), out, s.order_id());
  if (!cfg.points_type.empty())
    ctx.send(cfg.points_type + "/" + s.customer_id(), out, s.order_id());
}

/// Messages only the order's own saga may send.
void on_saga(const OrderState& s, const inbound& in, ctx_t& ctx, const fulfillment_config& cfg) {
  if (in.sender() != fulfillment::saga_ref(std::string{ref_id(ctx.self())}))
    return ctx.reject(in.type() + " is accepted from the order's saga only");
  if (s.status().empty())
    return;  // cannot happen: the saga starts from a created order
  OrderEvent ev;
  if (NoteProgress p; in.parse(p)) {
    if (s.status() != "PENDING")
      return;
    ev.mutable_progress()->set_step(p.step());
    ev.mutable_progress()->set_at_ms(ctx.now_ms());
  } else if (RefuseCancel r; in.parse(r)) {
    ev.mutable_cancel_refused()->set_reason(r.reason());
    ev.mutable_cancel_refused()->set_at_ms(ctx.now_ms());
  } else if (in.is<ConfirmOrder>()) {
    if (s.status() != "PENDING")
      return;  // a duplicate
    ev.mutable_confirmed()->set_at_ms(ctx.now_ms());
  } else if (CloseCancelled c; in.parse(c)) {
    if (s.status() != "PENDING")
      return;
    ev.mutable_cancelled()->set_reason(c.reason());
    ev.mutable_cancelled()->set_at_ms(ctx.now_ms());
  }
  ctx.persist(ev);
  if (ev.has_confirmed() || ev.has_cancelled())
    publish(after(s, ev), ctx, cfg);
}

/// The runtime gave up on a message of ours without knowing whether it arrived (a long outage
/// past retry.max-age-ms). Each of them is idempotent at its receiver by content (the saga
/// starts once and takes a cancel once, points and notifications keep the order ids they
/// have seen), so it goes again: dropping it would leave the order PENDING with no saga, or
/// a confirmed order without its points.
void on_delivery_failed(const OrderState& s, const DeliveryFailed& df, ctx_t& ctx) {
  if (!outcome_unknown(df) || s.status().empty())
    return;  // poison or undeliverable: the receiver refuses it for good, a resend fails alike
  if (df.type() == type_name_of<fulfillment::StartFulfillment>()
      || df.type() == type_name_of<fulfillment::CustomerCancel>()
      || df.type() == type_name_of<OrderOutcome>())
    ctx.resend(df, s.order_id());
}

void decide(const OrderState& s, const inbound& in, ctx_t& ctx, const fulfillment_config& cfg) {
  if (CreateOrder c; in.parse(c)) {
    on_create(s, c, ctx, cfg);
  } else if (in.is<GetOrder>()) {
    if (s.status().empty())
      return ctx.reject("no order " + std::string{ref_id(ctx.self())});
    ctx.reply(view_of(s));
  } else if (CancelOrder c; in.parse(c)) {
    on_cancel(s, c, ctx);
  } else if (in.is<NoteProgress>() || in.is<RefuseCancel>() || in.is<ConfirmOrder>()
             || in.is<CloseCancelled>()) {
    on_saga(s, in, ctx, cfg);
  } else if (DeliveryFailed df; in.sender().empty() && in.parse(df)) {
    on_delivery_failed(s, df, ctx);
  } else if (in.is<Rejected>()) {
    // The loyalty or notification side refused an outcome: nothing here can change that.
  } else {
    ctx.reject("order does not understand " + in.type());
  }
}

void apply(OrderState& s, const OrderEvent& ev) {
  switch (ev.kind_case()) {
    case OrderEvent::kCreated: {
      auto& e = ev.created();
      s.set_order_id(e.order_id());
      s.set_customer_id(e.customer_id());
      *s.mutable_lines() = e.lines();
      s.set_total_cents(e.total_cents());
      s.set_card(e.card());
      s.set_ship_to(e.ship_to());
      s.set_status("PENDING");
      s.set_created_ms(e.at_ms());
      break;
    }
    case OrderEvent::kProgress:
      s.set_progress(ev.progress().step());
      break;
    case OrderEvent::kCancelRequested:
      s.set_cancel_requested(true);
      break;
    case OrderEvent::kCancelRefused:
      s.set_cancel_refused(ev.cancel_refused().reason());
      break;
    case OrderEvent::kConfirmed:
      s.set_status("CONFIRMED");
      s.set_progress("CONFIRMED");
      s.set_finished_ms(ev.confirmed().at_ms());
      break;
    case OrderEvent::kCancelled:
      s.set_status("CANCELLED");
      s.set_progress("CANCELLED");
      s.set_reason(ev.cancelled().reason());
      s.set_finished_ms(ev.cancelled().at_ms());
      break;
    case OrderEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("OrderEvent of no kind (corrupt, or from a newer build)");
  }
}

} // namespace

entity_logic_ptr make_order_logic(fulfillment::config_ptr cfg) {
  return std::make_shared<entity_definition<OrderState, OrderEvent>>(
    "order",
    [cfg](const OrderState& s, const inbound& in, ctx_t& ctx) { decide(s, in, ctx, *cfg); }, apply,
    cfg->snapshot_every);
}

} // namespace sagaforge::order
