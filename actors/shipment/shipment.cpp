// Shipment entity: Commands (shipment.proto), Replies, Events, State, then the handlers.
#include "actors/shipment/shipment.hpp"

#include <algorithm>

#include "envelope.pb.h"
#include "runtime/entity_ref.hpp"
#include "shipment.pb.h"
#include "runtime/invariant.hpp"

namespace sagaforge::shipment {

namespace {

using ctx_t = decide_context<ShipmentEvent>;
using fulfillment::fulfillment_config;

/// For "flaky:N" regions: N, else 0.
uint32_t flaky_attempts(const std::string& region) {
  const std::string prefix = "flaky:";
  if (region.size() <= prefix.size() || region.compare(0, prefix.size(), prefix) != 0)
    return 0;
  uint32_t n = 0;
  for (size_t i = prefix.size(); i < region.size() && n < 100000; ++i) {
    if (region[i] < '0' || region[i] > '9')
      return 0;
    n = n * 10 + static_cast<uint32_t>(region[i] - '0');
  }
  return n;
}

ScheduleResult schedule_result(const Schedule& s, ScheduleResult::Outcome o,
                               const std::string& reason) {
  ScheduleResult r;
  r.set_order_id(s.order_id());
  r.set_attempt(s.attempt());
  r.set_outcome(o);
  r.set_reason(reason);
  return r;
}

void on_schedule(const ShipmentState& s, const Schedule& sc, ctx_t& ctx,
                 const fulfillment_config& cfg) {
  std::string id{ref_id(ctx.self())};
  if (sc.order_id() != id || sc.items() <= 0)
    return ctx.reject("schedule needs this shipment's order id and a positive item count");
  if (s.state() == "CANCELLED")
    return ctx.reply(schedule_result(sc, ScheduleResult::IMPOSSIBLE, "shipment was cancelled"));
  if (!s.state().empty()) {
    auto r = schedule_result(sc, ScheduleResult::SCHEDULED, "");  // idempotent
    r.set_tracking_id(s.tracking_id());
    return ctx.reply(r);
  }
  auto& regions = cfg.unshippable_regions;
  if (std::find(regions.begin(), regions.end(), sc.ship_to()) != regions.end())
    return ctx.reply(schedule_result(sc, ScheduleResult::IMPOSSIBLE,
                                     "region '" + sc.ship_to() + "' is not served"));
  if (sc.attempt() <= flaky_attempts(sc.ship_to())
      || fulfillment::permille_of(id + "#ship", sc.attempt()) < cfg.shipment_failure_permille)
    return ctx.reply(schedule_result(sc, ScheduleResult::TRANSIENT, "carrier unavailable"));
  ShipmentEvent ev;
  auto* e = ev.mutable_scheduled();
  e->set_order_id(id);
  e->set_ship_to(sc.ship_to());
  e->set_items(sc.items());
  e->set_tracking_id("TRK-" + id);
  e->set_at_ms(ctx.now_ms());
  ctx.persist(ev);
  auto r = schedule_result(sc, ScheduleResult::SCHEDULED, "");
  r.set_tracking_id(e->tracking_id());
  ctx.reply(r);
}

void on_cancel(const ShipmentState& s, const CancelShipment& c, ctx_t& ctx) {
  CancelResult r;
  r.set_order_id(c.order_id());
  r.set_attempt(c.attempt());
  if (s.state() == "IN_TRANSIT" || s.state() == "DELIVERED") {
    r.set_reason("the parcel is already " + s.state());
    return ctx.reply(r);
  }
  r.set_ok(true);
  if (s.state() != "CANCELLED") {
    ShipmentEvent ev;
    ev.mutable_cancelled()->set_at_ms(ctx.now_ms());
    ev.mutable_cancelled()->set_before_schedule(s.state().empty());  // a tombstone
    ctx.persist(ev);
  }
  ctx.reply(r);
}

void decide(const ShipmentState& s, const inbound& in, ctx_t& ctx, const fulfillment_config& cfg) {
  if (Schedule sc; in.parse(sc)) {
    on_schedule(s, sc, ctx, cfg);
  } else if (CancelShipment c; in.parse(c)) {
    on_cancel(s, c, ctx);
  } else if (in.is<Dispatch>()) {
    auto next = s.state() == "SCHEDULED"    ? "IN_TRANSIT"
                : s.state() == "IN_TRANSIT" ? "DELIVERED"
                                            : "";
    if (*next == '\0')
      return ctx.reject("cannot dispatch a shipment in state '" + s.state() + "'");
    ShipmentEvent ev;
    ev.mutable_advanced()->set_state(next);
    ev.mutable_advanced()->set_at_ms(ctx.now_ms());
    ctx.persist(ev);
    auto v = s;
    v.set_state(next);
    ctx.reply(v);
  } else if (in.is<Track>()) {
    ctx.reply(s);
  } else if (in.is<DeliveryFailed>() || in.is<Rejected>()) {
    // a reply the saga could not take: its own timeout covers it
  } else {
    ctx.reject("shipment does not understand " + in.type());
  }
}

void apply(ShipmentState& s, const ShipmentEvent& ev) {
  switch (ev.kind_case()) {
    case ShipmentEvent::kScheduled: {
      auto& e = ev.scheduled();
      s.set_order_id(e.order_id());
      s.set_state("SCHEDULED");
      s.set_ship_to(e.ship_to());
      s.set_items(e.items());
      s.set_tracking_id(e.tracking_id());
      s.set_scheduled_ms(e.at_ms());
      s.set_updated_ms(e.at_ms());
      break;
    }
    case ShipmentEvent::kCancelled:
      s.set_state("CANCELLED");
      s.set_updated_ms(ev.cancelled().at_ms());
      break;
    case ShipmentEvent::kAdvanced:
      s.set_state(ev.advanced().state());
      s.set_updated_ms(ev.advanced().at_ms());
      break;
    case ShipmentEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("ShipmentEvent of no kind (corrupt, or from a newer build)");
  }
}

} // namespace

entity_logic_ptr make_shipment_logic(fulfillment::config_ptr cfg) {
  return std::make_shared<entity_definition<ShipmentState, ShipmentEvent>>(
    "shipment",
    [cfg](const ShipmentState& s, const inbound& in, ctx_t& ctx) { decide(s, in, ctx, *cfg); },
    apply, cfg->snapshot_every);
}

} // namespace sagaforge::shipment
