// Notification entity: Commands (notification.proto + OrderOutcome), Events, State, handlers.
#include "actors/notification/notification.hpp"

#include "envelope.pb.h"
#include "notification.pb.h"
#include "order_events.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::notification {

namespace {

using ctx_t = decide_context<NotificationEvent>;

bool already_sent(const NotificationState& s, const order::OrderOutcome& o) {
  for (auto& n : s.sent())
    if (n.order_id() == o.order_id() && n.status() == o.status())
      return true;
  return false;
}

std::string text_of(const order::OrderOutcome& o) {
  auto amount = std::to_string(o.total_cents() / 100) + "."
                + std::to_string(o.total_cents() % 100 / 10) + std::to_string(o.total_cents() % 10);
  if (o.status() == "CONFIRMED")
    return "Your order " + o.order_id() + " (" + amount + ") is confirmed and on its way.";
  return "Your order " + o.order_id() + " was " + o.status() + ": " + o.reason();
}

void on_outcome(const NotificationState& s, const order::OrderOutcome& o, ctx_t& ctx,
                const fulfillment::fulfillment_config& cfg) {
  if (validate_id(o.order_id()) || o.status().empty())
    return ctx.reject("an outcome needs a valid order id and a status");
  if (already_sent(s, o))
    return;  // a duplicate delivery: never notify twice
  auto size = static_cast<int64_t>(s.sent_size());
  NotificationEvent ev;
  auto* n = ev.mutable_notified();
  n->set_order_id(o.order_id());
  n->set_status(o.status());
  n->set_channel(o.status() == "CONFIRMED" ? "email" : "email+sms");
  n->set_text(text_of(o));
  n->set_at_ms(ctx.now_ms());
  n->set_forget_oldest(std::max<int64_t>(0, size + 1 - cfg.notification_history_max));
  ctx.persist(ev);
}

void decide(const NotificationState& s, const inbound& in, ctx_t& ctx,
            const fulfillment::fulfillment_config& cfg) {
  if (order::OrderOutcome o; in.parse(o)) {
    on_outcome(s, o, ctx, cfg);
  } else if (in.is<GetNotifications>()) {
    ctx.reply(s);
  } else if (in.is<DeliveryFailed>() || in.is<Rejected>()) {
    // nothing is sent from here
  } else {
    ctx.reject("notification does not understand " + in.type());
  }
}

void apply(NotificationState& s, const NotificationEvent& ev) {
  SAGAFORGE_ASSERT(ev.has_notified(),
                   "NotificationEvent of no kind (corrupt, or from a newer build)");
  auto forget = std::min<int64_t>(ev.notified().forget_oldest(), s.sent_size());
  if (forget > 0)
    s.mutable_sent()->DeleteSubrange(0, static_cast<int>(forget));
  *s.add_sent() = ev.notified();
  s.mutable_sent()->rbegin()->clear_forget_oldest();
  s.set_total_sent(s.total_sent() + 1);
}

} // namespace

entity_logic_ptr make_notification_logic(fulfillment::config_ptr cfg) {
  return std::make_shared<entity_definition<NotificationState, NotificationEvent>>(
    "notification",
    [cfg](const NotificationState& s, const inbound& in, ctx_t& ctx) { decide(s, in, ctx, *cfg); },
    apply, cfg->snapshot_every);
}

} // namespace sagaforge::notification
