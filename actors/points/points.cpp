// Points account: Commands (points.proto, OrderOutcome), Replies, Events, State, handlers.
// Idempotency lives in the state: the deduction ledger by transaction id, the credited
// orders by order id and the applied EarnPoints ids, so a command re-sent in a new
// envelope (a re-published order outcome, an operator's retry) changes nothing twice.
#include "actors/points/points.hpp"

#include <algorithm>

#include "envelope.pb.h"
#include "order_events.pb.h"
#include "points.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::points {

namespace {

using loyalty::loyalty_config;
using ctx_t = decide_context<PointsEvent>;

// -- reading the state --

const Deduction* find_deduction(const PointsState& s, const std::string& txn) {
  for (auto& d : s.deductions())
    if (d.transaction_id() == txn)
      return &d;
  return nullptr;
}

const OrderCredit* find_order(const PointsState& s, const std::string& order_id) {
  for (auto& o : s.orders())
    if (o.order_id() == order_id)
      return &o;
  return nullptr;
}

bool ledger_full(const PointsState& s, const loyalty_config& cfg) {
  return s.deductions_size() + s.orders_size() + s.earn_ids_size()
         >= cfg.account_ledger_entries_max;
}

Balance balance_of(const PointsState& s, const std::string& self) {
  Balance b;
  b.set_customer_id(std::string{ref_id(self)});
  b.set_balance(s.balance());
  b.set_earned(s.earned());
  b.set_spent(s.spent());
  b.set_refunded(s.refunded());
  b.set_reversed(s.reversed());
  b.set_unrecovered(s.unrecovered());
  return b;
}

/// Empty when `points` is a usable amount and `txn` a valid id; else what is wrong.
std::string check_amount(const std::string& txn, int64_t points, const loyalty_config& cfg) {
  if (auto err = validate_id(txn))
    return "transaction_id: " + describe(err);
  if (points <= 0 || points > cfg.points_per_command_max)
    return "points must be in 1.." + std::to_string(cfg.points_per_command_max) + ", got "
           + std::to_string(points);
  return {};
}

// -- apply --

Deduction* deduction_slot(PointsState& s, const std::string& txn) {
  for (auto& d : *s.mutable_deductions())
    if (d.transaction_id() == txn)
      return &d;
  auto* d = s.add_deductions();
  d->set_transaction_id(txn);
  return d;
}

OrderCredit* order_slot(PointsState& s, const std::string& order_id) {
  for (auto& o : *s.mutable_orders())
    if (o.order_id() == order_id)
      return &o;
  auto* o = s.add_orders();
  o->set_order_id(order_id);
  return o;
}

void apply(PointsState& s, const PointsEvent& ev) {
  switch (ev.kind_case()) {
    case PointsEvent::kEarned:
      s.add_earn_ids(ev.earned().transaction_id());
      s.set_balance(s.balance() + ev.earned().points());
      s.set_earned(s.earned() + ev.earned().points());
      break;
    case PointsEvent::kDeducted: {
      auto* d = deduction_slot(s, ev.deducted().transaction_id());
      d->set_points(ev.deducted().points());
      d->set_status(DEDUCTION_DONE);
      s.set_balance(s.balance() - ev.deducted().points());
      s.set_spent(s.spent() + ev.deducted().points());
      break;
    }
    case PointsEvent::kDeclined: {
      auto* d = deduction_slot(s, ev.declined().transaction_id());
      d->set_points(ev.declined().points());
      d->set_status(DEDUCTION_DECLINED);
      d->set_reason(ev.declined().reason());
      break;
    }
    case PointsEvent::kRefunded: {
      auto* d = deduction_slot(s, ev.refunded().transaction_id());
      d->set_status(DEDUCTION_REFUNDED);
      s.set_balance(s.balance() + ev.refunded().points());
      s.set_refunded(s.refunded() + ev.refunded().points());
      break;
    }
    case PointsEvent::kVoided:
      deduction_slot(s, ev.voided().transaction_id())->set_status(DEDUCTION_VOIDED);
      break;
    case PointsEvent::kOrderCredited: {
      auto* o = order_slot(s, ev.order_credited().order_id());
      o->set_points(ev.order_credited().points());
      s.set_balance(s.balance() + ev.order_credited().points());
      s.set_earned(s.earned() + ev.order_credited().points());
      break;
    }
    case PointsEvent::kOrderReversed: {
      auto* o = order_slot(s, ev.order_reversed().order_id());
      o->set_reversed(true);
      o->set_reversed_points(ev.order_reversed().points());
      s.set_balance(s.balance() - ev.order_reversed().points());
      s.set_reversed(s.reversed() + ev.order_reversed().points());
      s.set_unrecovered(s.unrecovered() + ev.order_reversed().unrecovered());
      break;
    }
    case PointsEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("PointsEvent of no kind (corrupt, or from a newer build)");
  }
}

// -- handlers --

void on_earn(const PointsState& s, const EarnPoints& cmd, ctx_t& ctx, const loyalty_config& cfg) {
  if (auto what = check_amount(cmd.transaction_id(), cmd.points(), cfg); !what.empty())
    return ctx.reject("EarnPoints: " + what);
  PointsEarned r;
  r.set_transaction_id(cmd.transaction_id());
  auto& ids = s.earn_ids();
  if (std::find(ids.begin(), ids.end(), cmd.transaction_id()) != ids.end()) {
    r.set_balance(s.balance());  // already applied: answer again, change nothing
    return ctx.reply(r);
  }
  if (ledger_full(s, cfg))
    return ctx.reject("EarnPoints: the account's ledger is full");
  if (s.balance() > cfg.account_balance_max - cmd.points())
    return ctx.reject("EarnPoints: the balance would exceed "
                      + std::to_string(cfg.account_balance_max));
  PointsEvent ev;
  auto* e = ev.mutable_earned();
  e->set_transaction_id(cmd.transaction_id());
  e->set_points(cmd.points());
  e->set_reason(cmd.reason().substr(0, static_cast<size_t>(cfg.reason_bytes_max)));
  ctx.persist(ev);
  r.set_points(cmd.points());
  r.set_balance(s.balance() + cmd.points());
  ctx.reply(r);
}

void decline(const DeductPoints& cmd, std::string reason, int64_t balance, ctx_t& ctx) {
  PointsDeductionFailed r;
  r.set_transaction_id(cmd.transaction_id());
  r.set_reason(std::move(reason));
  r.set_balance(balance);
  ctx.reply(r);
}

void on_deduct(const PointsState& s, const DeductPoints& cmd, ctx_t& ctx,
               const loyalty_config& cfg) {
  if (auto what = check_amount(cmd.transaction_id(), cmd.points(), cfg); !what.empty())
    return ctx.reject("DeductPoints: " + what);
  if (auto* d = find_deduction(s, cmd.transaction_id())) {
    if (d->status() == DEDUCTION_DONE && d->points() == cmd.points()) {
      PointsDeducted r;  // a re-sent command: the same answer, no second deduction
      r.set_transaction_id(cmd.transaction_id());
      r.set_points(d->points());
      r.set_balance(s.balance());
      return ctx.reply(r);
    }
    if (d->status() == DEDUCTION_DECLINED)
      return decline(cmd, d->reason(), s.balance(), ctx);
    return decline(cmd, "transaction " + cmd.transaction_id() + " was already "
                          + (d->status() == DEDUCTION_DONE ? "used for another amount"
                                                           : "refunded or voided"),
                   s.balance(), ctx);
  }
  if (ledger_full(s, cfg))
    return decline(cmd, "the account's ledger is full", s.balance(), ctx);
  PointsEvent ev;
  if (cmd.points() > s.balance()) {
    auto reason = "insufficient points: balance " + std::to_string(s.balance()) + ", needs "
                  + std::to_string(cmd.points());
    auto* e = ev.mutable_declined();
    e->set_transaction_id(cmd.transaction_id());
    e->set_points(cmd.points());
    e->set_reason(reason);
    ctx.persist(ev);
    return decline(cmd, reason, s.balance(), ctx);
  }
  auto* e = ev.mutable_deducted();
  e->set_transaction_id(cmd.transaction_id());
  e->set_points(cmd.points());
  ctx.persist(ev);
  PointsDeducted r;
  r.set_transaction_id(cmd.transaction_id());
  r.set_points(cmd.points());
  r.set_balance(s.balance() - cmd.points());
  ctx.reply(r);
}

void on_refund(const PointsState& s, const RefundPoints& cmd, ctx_t& ctx,
               const loyalty_config& cfg) {
  if (auto err = validate_id(cmd.transaction_id()))
    return ctx.reject("RefundPoints: transaction_id: " + describe(err));
  PointsRefunded r;
  r.set_transaction_id(cmd.transaction_id());
  r.set_balance(s.balance());
  auto* d = find_deduction(s, cmd.transaction_id());
  PointsEvent ev;
  if (d == nullptr) {
    if (ledger_full(s, cfg))
      return ctx.reject("RefundPoints: the account's ledger is full");
    ev.mutable_voided()->set_transaction_id(cmd.transaction_id());  // a later deduct declines
    ctx.persist(ev);
  } else if (d->status() == DEDUCTION_DONE) {
    ev.mutable_refunded()->set_transaction_id(cmd.transaction_id());
    ev.mutable_refunded()->set_points(d->points());
    ctx.persist(ev);
    r.set_points(d->points());
    r.set_balance(s.balance() + d->points());
  } else {
    r.set_already(d->status() == DEDUCTION_REFUNDED || d->status() == DEDUCTION_VOIDED);
  }
  ctx.reply(r);
}

void on_order_outcome(const PointsState& s, const order::OrderOutcome& o, const inbound& in,
                      ctx_t& ctx, const loyalty_config& cfg) {
  if (auto err = validate_id(o.order_id()))
    return ctx.reject("OrderOutcome: order_id: " + describe(err));
  if (o.customer_id() != ref_id(ctx.self()))
    return ctx.reject("OrderOutcome for customer '" + o.customer_id() + "' sent to "
                      + ctx.self());
  auto* known = find_order(s, o.order_id());
  PointsEvent ev;
  if (o.status() == "CONFIRMED") {
    if (o.total_cents() < 0)
      return ctx.reject("OrderOutcome: negative total_cents " + std::to_string(o.total_cents()));
    if (!known) {
      auto points = std::min(loyalty::points_for_order(cfg, o.total_cents()),
                             cfg.points_per_command_max);
      if (ledger_full(s, cfg) || s.balance() > cfg.account_balance_max - points)
        return ctx.reject("OrderOutcome: the account's ledger or balance is at its bound");
      auto* c = ev.mutable_order_credited();
      c->set_order_id(o.order_id());
      c->set_points(points);
      c->set_total_cents(o.total_cents());
      ctx.persist(ev);
    }
  } else if (o.status() == "REFUNDED") {
    if (!known || !known->reversed()) {
      auto credited = known ? known->points() : 0;
      auto debit = std::min(credited, s.balance());
      auto* r = ev.mutable_order_reversed();
      r->set_order_id(o.order_id());
      r->set_points(debit);
      r->set_unrecovered(credited - debit);
      ctx.persist(ev);
    }
  } else if (o.status() != "CANCELLED") {
    return ctx.reject("OrderOutcome: unknown status '" + o.status() + "'");
  }
  if (in.wants_reply()) {
    PointsState next = s;  // the balance after this step
    if (ev.kind_case() != PointsEvent::KIND_NOT_SET)
      apply(next, ev);
    ctx.reply(balance_of(next, ctx.self()));
  }
}

// -- decide --

void decide(const PointsState& s, const inbound& in, ctx_t& ctx, const loyalty_config& cfg) {
  if (EarnPoints c; in.parse(c))
    on_earn(s, c, ctx, cfg);
  else if (DeductPoints c; in.parse(c))
    on_deduct(s, c, ctx, cfg);
  else if (RefundPoints c; in.parse(c))
    on_refund(s, c, ctx, cfg);
  else if (order::OrderOutcome c; in.parse(c))
    on_order_outcome(s, c, in, ctx, cfg);
  else if (in.is<GetBalance>())
    ctx.reply(balance_of(s, ctx.self()));
  else if (DeliveryFailed df; in.sender().empty() && in.parse(df)) {
    // A reply the runtime gave up delivering (an outage past retry.max-age-ms): the redemption
    // cannot learn otherwise that its points were deducted or refunded, and it takes a second
    // copy as a no-op. Every message this account sends is such a reply.
    if (outcome_unknown(df))
      ctx.resend(df);
  } else if (in.is<Rejected>()) {
    return;  // the asker refused our reply: nothing to do here
  } else {
    ctx.reject("points account does not understand '" + in.type() + "'");
  }
}

} // namespace

entity_logic_ptr make_points_logic(const loyalty::loyalty_config& cfg) {
  auto d = [cfg](const PointsState& s, const inbound& in, ctx_t& ctx) { decide(s, in, ctx, cfg); };
  return std::make_shared<entity_definition<PointsState, PointsEvent>>(
    "points", d, apply, cfg.points_snapshot_every);
}

} // namespace sagaforge::points
