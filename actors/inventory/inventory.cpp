// Inventory entity: Commands (inventory.proto), Replies, Events, State, then the handlers.
#include "actors/inventory/inventory.hpp"

#include <stdexcept>

#include "envelope.pb.h"
#include "inventory.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::inventory {

namespace {

using ctx_t = decide_context<InventoryEvent>;
constexpr int64_t restock_max = 1'000'000'000;

const Reservation* find(const InventoryState& s, const std::string& order_id, int32_t line) {
  for (auto& r : s.reservations())
    if (r.line() == line && r.order_id() == order_id)
      return &r;
  return nullptr;
}

/// Finished entries to forget so the history stays within its bound after one more.
int64_t forget_count(const InventoryState& s, int64_t history_max) {
  return std::max<int64_t>(0, s.finished() + 1 - history_max);
}

/// Asserts the conservation law before a write (a bug, never input, can break it).
void check_invariant(const InventoryState& s) {
  if (s.available() < 0 || s.reserved() < 0 || s.shipped() < 0
      || s.available() + s.reserved() + s.shipped() != s.received())
    throw std::logic_error("inventory invariant broken: " + s.ShortDebugString());
}

StockView view_of(const InventoryState& s, const std::string& sku) {
  StockView v;
  v.set_sku(sku);
  v.set_received(s.received());
  v.set_available(s.available());
  v.set_reserved(s.reserved());
  v.set_shipped(s.shipped());
  v.set_active_reservations(static_cast<int64_t>(s.reservations_size()) - s.finished());
  return v;
}

void on_reserve(const InventoryState& s, const Reserve& r, ctx_t& ctx, const std::string& sku) {
  if (r.quantity() <= 0 || validate_id(r.order_id()))
    return ctx.reject("reserve needs a valid order id and a positive quantity");
  ReserveResult res;
  res.set_sku(sku);
  res.set_order_id(r.order_id());
  res.set_line(r.line());
  res.set_attempt(r.attempt());
  auto* known = find(s, r.order_id(), r.line());
  if (known && known->status() == Reservation::RELEASED) {
    res.set_reason("the reservation of " + sku + " for this line was already released");
  } else if (known) {
    res.set_ok(true);  // reserved or committed before: idempotent
  } else if (s.available() < r.quantity()) {
    res.set_reason("out of stock: " + sku + " has " + std::to_string(s.available()) + " available, "
                   + std::to_string(r.quantity()) + " requested");
  } else {
    check_invariant(s);
    InventoryEvent ev;
    ev.mutable_reserved()->set_order_id(r.order_id());
    ev.mutable_reserved()->set_line(r.line());
    ev.mutable_reserved()->set_quantity(r.quantity());
    ctx.persist(ev);
    res.set_ok(true);
    res.set_available(s.available() - r.quantity());
    return ctx.reply(res);
  }
  res.set_available(s.available());
  ctx.reply(res);
}

void on_release(const InventoryState& s, const Release& r, ctx_t& ctx, const std::string& sku,
                int64_t history_max) {
  ReleaseResult res;
  res.set_sku(sku);
  res.set_order_id(r.order_id());
  res.set_line(r.line());
  res.set_attempt(r.attempt());
  auto* known = find(s, r.order_id(), r.line());
  if (!known || known->status() == Reservation::RESERVED) {
    check_invariant(s);
    InventoryEvent ev;
    auto* e = ev.mutable_released();
    e->set_order_id(r.order_id());
    e->set_line(r.line());
    e->set_quantity(known ? known->quantity() : 0);  // 0: a tombstone
    e->set_forget_oldest(forget_count(s, history_max));
    ctx.persist(ev);
    res.set_released(e->quantity());
  }
  ctx.reply(res);  // released or committed before: nothing more to give back
}

void on_commit(const InventoryState& s, const Commit& c, ctx_t& ctx, const std::string& sku,
               int64_t history_max) {
  CommitResult res;
  res.set_sku(sku);
  res.set_order_id(c.order_id());
  res.set_line(c.line());
  res.set_attempt(c.attempt());
  auto* known = find(s, c.order_id(), c.line());
  if (!known || known->status() == Reservation::RELEASED) {
    res.set_reason("nothing reserved for this line to commit");
  } else if (known->status() == Reservation::COMMITTED) {
    res.set_ok(true);  // idempotent
  } else {
    check_invariant(s);
    InventoryEvent ev;
    auto* e = ev.mutable_committed();
    e->set_order_id(c.order_id());
    e->set_line(c.line());
    e->set_quantity(known->quantity());
    e->set_forget_oldest(forget_count(s, history_max));
    ctx.persist(ev);
    res.set_ok(true);
  }
  ctx.reply(res);
}

void decide(const InventoryState& s, const inbound& in, ctx_t& ctx,
            const fulfillment::fulfillment_config& cfg) {
  std::string sku{ref_id(ctx.self())};
  if (Restock r; in.parse(r)) {
    if (r.quantity() <= 0 || r.quantity() > restock_max || s.received() > restock_max * 1000)
      return ctx.reject("restock quantity must be in 1.." + std::to_string(restock_max));
    InventoryEvent ev;
    ev.mutable_restocked()->set_quantity(r.quantity());
    ctx.persist(ev);
    auto v = view_of(s, sku);
    v.set_received(v.received() + r.quantity());
    v.set_available(v.available() + r.quantity());
    ctx.reply(v);
  } else if (Reserve r; in.parse(r)) {
    on_reserve(s, r, ctx, sku);
  } else if (Release r; in.parse(r)) {
    on_release(s, r, ctx, sku, cfg.inventory_history_max);
  } else if (Commit c; in.parse(c)) {
    on_commit(s, c, ctx, sku, cfg.inventory_history_max);
  } else if (in.is<GetStock>()) {
    ctx.reply(view_of(s, sku));
  } else if (in.is<DeliveryFailed>() || in.is<Rejected>()) {
    // a reply of ours the saga could not take: nothing to undo here
  } else {
    ctx.reject("inventory does not understand " + in.type());
  }
}

void forget_oldest(InventoryState& s, int64_t n) {
  if (n <= 0)
    return;
  google::protobuf::RepeatedPtrField<Reservation> kept;
  for (auto& r : *s.mutable_reservations()) {
    if (n > 0 && r.status() != Reservation::RESERVED) {
      --n;
      s.set_finished(s.finished() - 1);
      continue;
    }
    *kept.Add() = std::move(r);
  }
  s.mutable_reservations()->Swap(&kept);
}

Reservation* find_mut(InventoryState& s, const std::string& order_id, int32_t line) {
  for (auto& r : *s.mutable_reservations())
    if (r.line() == line && r.order_id() == order_id)
      return &r;
  return nullptr;
}

void finish(InventoryState& s, const std::string& order_id, int32_t line,
            Reservation::Status status, int64_t quantity) {
  auto* r = find_mut(s, order_id, line);
  if (!r) {
    r = s.add_reservations();
    r->set_order_id(order_id);
    r->set_line(line);
  }
  r->set_status(status);
  r->set_quantity(quantity);
  s.set_finished(s.finished() + 1);
}

void apply(InventoryState& s, const InventoryEvent& ev) {
  switch (ev.kind_case()) {
    case InventoryEvent::kRestocked:
      s.set_received(s.received() + ev.restocked().quantity());
      s.set_available(s.available() + ev.restocked().quantity());
      break;
    case InventoryEvent::kReserved: {
      auto& e = ev.reserved();
      auto* r = s.add_reservations();
      r->set_order_id(e.order_id());
      r->set_line(e.line());
      r->set_quantity(e.quantity());
      s.set_available(s.available() - e.quantity());
      s.set_reserved(s.reserved() + e.quantity());
      break;
    }
    case InventoryEvent::kReleased: {
      auto& e = ev.released();
      forget_oldest(s, e.forget_oldest());
      finish(s, e.order_id(), e.line(), Reservation::RELEASED, e.quantity());
      s.set_available(s.available() + e.quantity());
      s.set_reserved(s.reserved() - e.quantity());
      break;
    }
    case InventoryEvent::kCommitted: {
      auto& e = ev.committed();
      forget_oldest(s, e.forget_oldest());
      finish(s, e.order_id(), e.line(), Reservation::COMMITTED, e.quantity());
      s.set_reserved(s.reserved() - e.quantity());
      s.set_shipped(s.shipped() + e.quantity());
      break;
    }
    case InventoryEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("InventoryEvent of no kind (corrupt, or from a newer build)");
  }
}

} // namespace

entity_logic_ptr make_inventory_logic(fulfillment::config_ptr cfg) {
  return std::make_shared<entity_definition<InventoryState, InventoryEvent>>(
    "inventory",
    [cfg](const InventoryState& s, const inbound& in, ctx_t& ctx) { decide(s, in, ctx, *cfg); },
    apply, cfg->snapshot_every);
}

} // namespace sagaforge::inventory
