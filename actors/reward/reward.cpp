// Reward: Commands (reward.proto), Replies, Events, State, handlers.
// Stock is conserved by construction and checked by the workload: stocked_total equals the
// units in stock plus the units held by redemptions (allocations in state HELD).
#include "actors/reward/reward.hpp"

#include <algorithm>

#include "envelope.pb.h"
#include "reward.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::reward {

namespace {

using loyalty::loyalty_config;
using ctx_t = decide_context<RewardEvent>;

// -- reading the state --

// The allocations are kept sorted by redemption id: a popular reward holds many.

auto lower_bound_of(const RewardState& s, const std::string& redemption_id) {
  return std::lower_bound(s.allocations().begin(), s.allocations().end(), redemption_id,
                          [](const Allocation& a, const std::string& id) {
                            return a.redemption_id() < id;
                          });
}

const Allocation* find_allocation(const RewardState& s, const std::string& redemption_id) {
  auto i = lower_bound_of(s, redemption_id);
  if (i == s.allocations().end() || i->redemption_id() != redemption_id)
    return nullptr;
  return &*i;
}

RewardInfo info_of(const RewardState& s, const std::string& self) {
  RewardInfo r;
  r.set_reward_id(std::string{ref_id(self)});
  r.set_name(s.name());
  r.set_points_cost(s.points_cost());
  r.set_active(s.active());
  r.set_stock(s.stock());
  r.set_stocked_total(s.stocked_total());
  int64_t held = 0;
  for (auto& a : s.allocations())
    held += a.status() == ALLOCATION_HELD ? 1 : 0;
  r.set_allocated(held);
  return r;
}

// -- apply --

Allocation* allocation_slot(RewardState& s, const std::string& redemption_id) {
  auto pos = static_cast<int>(lower_bound_of(s, redemption_id) - s.allocations().begin());
  auto& all = *s.mutable_allocations();
  if (pos < all.size() && all[pos].redemption_id() == redemption_id)
    return all.Mutable(pos);
  all.Add()->set_redemption_id(redemption_id);
  for (int i = all.size() - 1; i > pos; --i)
    all.SwapElements(i, i - 1);
  return all.Mutable(pos);
}

void apply(RewardState& s, const RewardEvent& ev) {
  switch (ev.kind_case()) {
    case RewardEvent::kDefined: {
      auto& d = ev.defined();
      s.set_defined(true);
      s.set_name(d.name());
      s.set_points_cost(d.points_cost());
      s.set_active(d.active());
      s.set_stocked_total(s.stocked_total() + d.stock() - s.stock());
      s.set_stock(d.stock());
      break;
    }
    case RewardEvent::kActiveChanged:
      s.set_active(ev.active_changed().active());
      break;
    case RewardEvent::kRestocked:
      s.set_stock(s.stock() + ev.restocked().units());
      s.set_stocked_total(s.stocked_total() + ev.restocked().units());
      break;
    case RewardEvent::kAllocated:
      allocation_slot(s, ev.allocated().redemption_id())->set_status(ALLOCATION_HELD);
      s.set_stock(s.stock() - 1);
      break;
    case RewardEvent::kReleased:
      allocation_slot(s, ev.released().redemption_id())->set_status(ALLOCATION_RELEASED);
      s.set_stock(s.stock() + 1);
      break;
    case RewardEvent::kVoided:
      allocation_slot(s, ev.voided().redemption_id())->set_status(ALLOCATION_VOIDED);
      break;
    case RewardEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("RewardEvent of no kind (corrupt, or from a newer build)");
  }
}

// -- handlers: the catalog --

void on_define(const RewardState& s, const DefineReward& cmd, ctx_t& ctx,
               const loyalty_config& cfg) {
  if (cmd.name().empty() || static_cast<int64_t>(cmd.name().size()) > cfg.reward_name_bytes_max)
    return ctx.reject("DefineReward: name must have 1.." + std::to_string(cfg.reward_name_bytes_max)
                      + " bytes");
  if (cmd.points_cost() <= 0 || cmd.points_cost() > cfg.points_per_command_max)
    return ctx.reject("DefineReward: points_cost must be in 1.."
                      + std::to_string(cfg.points_per_command_max) + ", got "
                      + std::to_string(cmd.points_cost()));
  if (cmd.stock() < 0 || cmd.stock() > cfg.reward_stock_max)
    return ctx.reject("DefineReward: stock must be in 0.." + std::to_string(cfg.reward_stock_max)
                      + ", got " + std::to_string(cmd.stock()));
  RewardEvent ev;
  auto* d = ev.mutable_defined();
  d->set_name(cmd.name());
  d->set_points_cost(cmd.points_cost());
  d->set_active(cmd.active());
  d->set_stock(cmd.stock());
  ctx.persist(ev);
  RewardState next = s;
  apply(next, ev);
  ctx.reply(info_of(next, ctx.self()));
}

void on_catalog_change(const RewardState& s, const inbound& in, ctx_t& ctx,
                       const loyalty_config& cfg) {
  if (!s.defined())
    return ctx.reject("reward '" + std::string{ref_id(ctx.self())} + "' is not in the catalog");
  RewardEvent ev;
  if (SetRewardActive c; in.parse(c)) {
    if (c.active() != s.active())
      ev.mutable_active_changed()->set_active(c.active());
  } else if (RestockReward r; in.parse(r)) {
    if (r.units() <= 0 || r.units() > cfg.reward_stock_max - s.stock())
      return ctx.reject("RestockReward: units must be in 1.."
                        + std::to_string(cfg.reward_stock_max - s.stock()) + ", got "
                        + std::to_string(r.units()));
    ev.mutable_restocked()->set_units(r.units());
  } else {
    return ctx.reject("the payload of '" + in.type() + "' does not parse");
  }
  RewardState next = s;
  if (ev.kind_case() != RewardEvent::KIND_NOT_SET) {
    ctx.persist(ev);
    apply(next, ev);
  }
  ctx.reply(info_of(next, ctx.self()));
}

// -- handlers: redemptions --

void on_validate(const RewardState& s, const ValidateReward& cmd, ctx_t& ctx) {
  if (auto err = validate_id(cmd.redemption_id()))
    return ctx.reject("ValidateReward: redemption_id: " + describe(err));
  std::string why;
  if (!s.defined())
    why = "reward '" + std::string{ref_id(ctx.self())} + "' is not in the catalog";
  else if (!s.active())
    why = "reward '" + std::string{ref_id(ctx.self())} + "' is not active";
  else if (s.points_cost() != cmd.expected_cost())
    why = "cost mismatch: the reward costs " + std::to_string(s.points_cost())
          + " points, the request expected " + std::to_string(cmd.expected_cost());
  if (!why.empty()) {
    RewardValidationFailed r;
    r.set_redemption_id(cmd.redemption_id());
    r.set_reason(why);
    return ctx.reply(r);
  }
  RewardValidated r;
  r.set_redemption_id(cmd.redemption_id());
  r.set_name(s.name());
  r.set_points_cost(s.points_cost());
  ctx.reply(r);
}

void on_allocate(const RewardState& s, const AllocateRewardInventory& cmd, ctx_t& ctx,
                 const loyalty_config& cfg) {
  if (auto err = validate_id(cmd.redemption_id()))
    return ctx.reject("AllocateRewardInventory: redemption_id: " + describe(err));
  auto* known = find_allocation(s, cmd.redemption_id());
  std::string why;
  if (known && known->status() == ALLOCATION_HELD) {
    InventoryAllocated r;  // a re-sent command: the same answer, no second unit
    r.set_redemption_id(cmd.redemption_id());
    r.set_stock_left(s.stock());
    return ctx.reply(r);
  }
  if (known)
    why = "redemption " + cmd.redemption_id() + " already released its unit";
  else if (!s.defined())
    why = "reward '" + std::string{ref_id(ctx.self())} + "' is not in the catalog";
  else if (s.stock() <= 0)
    why = "out of stock";
  else if (s.allocations_size() >= cfg.reward_ledger_entries_max)
    why = "the reward's allocation ledger is full";
  if (!why.empty()) {
    AllocationFailed r;
    r.set_redemption_id(cmd.redemption_id());
    r.set_reason(why);
    return ctx.reply(r);
  }
  RewardEvent ev;
  ev.mutable_allocated()->set_redemption_id(cmd.redemption_id());
  ctx.persist(ev);
  InventoryAllocated r;
  r.set_redemption_id(cmd.redemption_id());
  r.set_stock_left(s.stock() - 1);
  ctx.reply(r);
}

void on_release(const RewardState& s, const ReleaseRewardInventory& cmd, ctx_t& ctx,
                const loyalty_config& cfg) {
  if (auto err = validate_id(cmd.redemption_id()))
    return ctx.reject("ReleaseRewardInventory: redemption_id: " + describe(err));
  InventoryReleased r;
  r.set_redemption_id(cmd.redemption_id());
  r.set_stock_left(s.stock());
  auto* known = find_allocation(s, cmd.redemption_id());
  RewardEvent ev;
  if (known && known->status() == ALLOCATION_HELD) {
    ev.mutable_released()->set_redemption_id(cmd.redemption_id());
    r.set_released(true);
    r.set_stock_left(s.stock() + 1);
  } else if (known) {
    r.set_already(true);
  } else if (s.defined() && s.allocations_size() < cfg.reward_ledger_entries_max) {
    ev.mutable_voided()->set_redemption_id(cmd.redemption_id());  // a later allocate declines
  }
  if (ev.kind_case() != RewardEvent::KIND_NOT_SET)
    ctx.persist(ev);
  ctx.reply(r);
}

// -- decide --

void decide(const RewardState& s, const inbound& in, ctx_t& ctx, const loyalty_config& cfg) {
  if (ValidateReward c; in.parse(c))
    on_validate(s, c, ctx);
  else if (AllocateRewardInventory c; in.parse(c))
    on_allocate(s, c, ctx, cfg);
  else if (ReleaseRewardInventory c; in.parse(c))
    on_release(s, c, ctx, cfg);
  else if (DefineReward c; in.parse(c))
    on_define(s, c, ctx, cfg);
  else if (in.is<SetRewardActive>() || in.is<RestockReward>())
    on_catalog_change(s, in, ctx, cfg);
  else if (in.is<GetReward>())
    ctx.reply(info_of(s, ctx.self()));
  else if (DeliveryFailed df; in.sender().empty() && in.parse(df)) {
    // Our answer (validated, allocated, released) was dead-lettered after a long outage: the
    // redemption still waits for it, and a duplicate answer changes nothing there. Send it
    // again; poison or undeliverable would fail the same way, so those are dropped.
    if (outcome_unknown(df))
      ctx.resend(df);
  } else if (in.is<Rejected>()) {
    return;  // the redemption refused our answer: nothing to undo here
  } else {
    ctx.reject("reward does not understand '" + in.type() + "'");
  }
}

} // namespace

entity_logic_ptr make_reward_logic(const loyalty::loyalty_config& cfg) {
  auto d = [cfg](const RewardState& s, const inbound& in, ctx_t& ctx) { decide(s, in, ctx, cfg); };
  return std::make_shared<entity_definition<RewardState, RewardEvent>>(
    "reward", d, apply, cfg.reward_snapshot_every);
}

} // namespace sagaforge::reward
