// The redemption saga's decide, forward path: Start (validate, record, send the three
// commands at once, arm the timeout), the six result messages, rejections and delivery
// failures of the forward commands, and the timeout. Compensation lives in
// redemption_compensation.cpp; the state machine is described in docs/loyalty.md.
#include "actors/redemption/redemption.hpp"

#include "actors/redemption/redemption_steps.hpp"
#include "envelope.pb.h"
#include "points.pb.h"
#include "reward.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::redemption {

namespace {

using namespace detail;
using loyalty::loyalty_config;

// -- Start --

std::string check_start(const StartRedemption& cmd, const loyalty_config& cfg) {
  if (auto err = validate_id(cmd.customer_id()))
    return "customer_id '" + cmd.customer_id() + "': " + describe(err);
  if (auto err = validate_id(cmd.reward_id()))
    return "reward_id '" + cmd.reward_id() + "': " + describe(err);
  if (cmd.expected_cost() <= 0 || cmd.expected_cost() > cfg.points_per_command_max)
    return "expected_cost must be in 1.." + std::to_string(cfg.points_per_command_max)
           + " points, got " + std::to_string(cmd.expected_cost());
  return {};
}

void on_start(const RedemptionState& s, const StartRedemption& cmd, step& st) {
  auto& ctx = st.ctx;
  if (s.status() != NEW) {
    if (s.customer_id() == cmd.customer_id() && s.reward_id() == cmd.reward_id()
        && s.expected_cost() == cmd.expected_cost())
      return ctx.reply(s);  // a re-sent Start: the saga as it stands
    return ctx.reject("redemption " + st.id + " already exists for customer '" + s.customer_id()
                      + "', reward '" + s.reward_id() + "', cost "
                      + std::to_string(s.expected_cost()));
  }
  if (auto what = check_start(cmd, st.cfg); !what.empty())
    return ctx.reject("StartRedemption: " + what);
  RedemptionEvent ev;
  auto* started = ev.mutable_started();
  started->set_customer_id(cmd.customer_id());
  started->set_reward_id(cmd.reward_id());
  started->set_expected_cost(cmd.expected_cost());
  started->set_timeout_at_ms(ctx.now_ms() + st.cfg.saga_timeout_ms);
  st.emit(std::move(ev));
  RedemptionEvent dispatched;
  dispatched.mutable_dispatched();
  st.emit(std::move(dispatched));
  points::DeductPoints deduct;
  deduct.set_transaction_id(st.id);
  deduct.set_points(cmd.expected_cost());
  ctx.send(participant(st.next, POINTS), deduct, st.id);
  reward::ValidateReward validate;
  validate.set_redemption_id(st.id);
  validate.set_expected_cost(cmd.expected_cost());
  ctx.send(participant(st.next, VALIDATION), validate, st.id);
  reward::AllocateRewardInventory allocate;
  allocate.set_redemption_id(st.id);
  ctx.send(participant(st.next, INVENTORY), allocate, st.id);
  ctx.set_timer(timeout_timer(), st.cfg.saga_timeout_ms, RedemptionTimeout{});
  ctx.reply(st.next);
}

// -- results --

bool all_succeeded(const RedemptionState& s) {
  for (auto b : {POINTS, VALIDATION, INVENTORY})
    if (branch_state(s, b).outcome() != SUCCEEDED)
      return false;
  return true;
}

void fail(step& st, std::string reason) {
  RedemptionEvent ev;
  ev.mutable_failed()->set_reason(std::move(reason));
  st.emit(std::move(ev));
  st.ctx.cancel_timer(timeout_timer());
  for (auto b : {POINTS, INVENTORY}) {
    auto outcome = branch_state(st.next, b).outcome();
    if (outcome == SUCCEEDED || outcome == UNKNOWN)
      compensate(st, b);
  }
  maybe_finish(st);
}

void complete(step& st) {
  RedemptionEvent ev;
  auto* r = ev.mutable_redeemed();
  r->set_customer_id(st.next.customer_id());
  r->set_reward_id(st.next.reward_id());
  r->set_reward_name(st.next.validation().detail());
  r->set_points(st.next.expected_cost());
  st.emit(std::move(ev));
  st.ctx.cancel_timer(timeout_timer());
}

/// Records what branch `b` answered, then moves the saga on.
void resolve(step& st, Branch b, Outcome outcome, const std::string& detail) {
  auto before = branch_state(st.next, b).outcome();
  bool real_after_unknown = before == UNKNOWN && outcome != UNKNOWN;
  if (before != PENDING && !real_after_unknown)
    return;  // a second answer (another envelope): the first one stands
  RedemptionEvent ev;
  auto* r = ev.mutable_resolved();
  r->set_branch(b);
  r->set_outcome(outcome);
  r->set_detail(detail.substr(0, static_cast<size_t>(st.cfg.reason_bytes_max)));
  r->set_late(failure_started(st.next));
  st.emit(std::move(ev));
  if (real_after_unknown)
    return;  // its compensation went out when the outcome was unknown
  if (st.next.status() == AWAITING_EVENTS) {
    if (outcome != SUCCEEDED)
      return fail(st, std::string{branch_name(b)} + ": " + detail);
    if (all_succeeded(st.next))
      complete(st);
    return;
  }
  if (failure_started(st.next) && compensable(b) && outcome != FAILED_RESULT) {
    compensate(st, b);  // a success after the saga failed: undo it as well
    maybe_finish(st);
  }
}

/// The six result messages; the answer must come from the branch's participant and name
/// this redemption.
bool on_result(const inbound& in, step& st) {
  auto from = [&](Branch b) { return in.sender() == participant(st.next, b); };
  if (points::PointsDeducted m; in.parse(m) && m.transaction_id() == st.id && from(POINTS))
    resolve(st, POINTS, SUCCEEDED,
            "deducted " + std::to_string(m.points()) + ", balance " + std::to_string(m.balance()));
  else if (points::PointsDeductionFailed m;
           in.parse(m) && m.transaction_id() == st.id && from(POINTS))
    resolve(st, POINTS, FAILED_RESULT, m.reason());
  else if (reward::RewardValidated m; in.parse(m) && m.redemption_id() == st.id && from(VALIDATION))
    resolve(st, VALIDATION, SUCCEEDED, m.name());
  else if (reward::RewardValidationFailed m;
           in.parse(m) && m.redemption_id() == st.id && from(VALIDATION))
    resolve(st, VALIDATION, FAILED_RESULT, m.reason());
  else if (reward::InventoryAllocated m;
           in.parse(m) && m.redemption_id() == st.id && from(INVENTORY))
    resolve(st, INVENTORY, SUCCEEDED, "allocated, " + std::to_string(m.stock_left()) + " left");
  else if (reward::AllocationFailed m; in.parse(m) && m.redemption_id() == st.id && from(INVENTORY))
    resolve(st, INVENTORY, FAILED_RESULT, m.reason());
  else
    return false;
  return true;
}

/// The answers to compensations: PointsRefunded and InventoryReleased.
bool on_confirmation(const inbound& in, step& st) {
  if (points::PointsRefunded m; in.parse(m) && m.transaction_id() == st.id
                                && in.sender() == participant(st.next, POINTS))
    on_compensation_confirmed(st, POINTS,
                              m.already() ? "already refunded"
                                          : "refunded " + std::to_string(m.points()));
  else if (reward::InventoryReleased m; in.parse(m) && m.redemption_id() == st.id
                                        && in.sender() == participant(st.next, INVENTORY))
    on_compensation_confirmed(st, INVENTORY,
                              m.released() ? "unit released"
                                           : (m.already() ? "already released" : "nothing held"));
  else
    return false;
  return true;
}

/// Which branch a command type belongs to, and whether it is the compensation.
Branch branch_of_command(const std::string& type, bool& is_compensation) {
  is_compensation = type == type_name_of<points::RefundPoints>()
                    || type == type_name_of<reward::ReleaseRewardInventory>();
  if (type == type_name_of<points::DeductPoints>() || type == type_name_of<points::RefundPoints>())
    return POINTS;
  if (type == type_name_of<reward::ValidateReward>())
    return VALIDATION;
  if (type == type_name_of<reward::AllocateRewardInventory>()
      || type == type_name_of<reward::ReleaseRewardInventory>())
    return INVENTORY;
  return BRANCH_NONE;
}

void on_delivery_failed(const DeliveryFailed& df, step& st) {
  bool comp = false;
  auto b = branch_of_command(df.type(), comp);
  if (b == BRANCH_NONE || df.receiver() != participant(st.next, b))
    return;
  auto error = "delivery to " + df.receiver() + " failed (" + df.reason() + ": "
               + df.last_error() + ")";
  if (comp)
    on_compensation_delivery_failed(st, b, error);
  else
    resolve(st, b, UNKNOWN, error);  // it may have applied: treated as a success to undo
}

void on_rejected(const inbound& in, const Rejected& rj, step& st) {
  bool comp = false;
  auto b = branch_of_command(rj.command_type(), comp);
  if (b == BRANCH_NONE || in.sender() != participant(st.next, b))
    return;
  if (comp)
    on_compensation_rejected(st, b, rj.reason());
  else
    resolve(st, b, FAILED_RESULT, "rejected: " + rj.reason());
}

void on_timeout(step& st) {
  if (st.next.status() != AWAITING_EVENTS)
    return;
  std::string waiting;
  for (auto b : {POINTS, VALIDATION, INVENTORY})
    if (branch_state(st.next, b).outcome() == PENDING)
      waiting += (waiting.empty() ? "" : ", ") + std::string{branch_name(b)};
  fail(st, "timed out after " + std::to_string(st.cfg.saga_timeout_ms) + " ms waiting for "
             + waiting);
}

} // namespace

namespace detail {

void fail_now(step& st, std::string reason) {
  fail(st, std::move(reason));
}

namespace {

void decide_input(const RedemptionState& s, const inbound& in, step& st) {
  auto& ctx = st.ctx;
  if (StartRedemption c; in.is<StartRedemption>())
    return in.parse(c) ? on_start(s, c, st) : ctx.reject("StartRedemption does not parse");
  if (in.is<GetRedemption>())
    return ctx.reply(s);
  if (s.status() == NEW) {  // nothing started here: no answer or timer can concern us
    if (in.wants_reply())
      ctx.reject("redemption " + st.id + " was never started");
    return;
  }
  if (is_operator_command(in))
    return on_operator_command(st, in);
  if (on_result(in, st) || on_confirmation(in, st))
    return;
  if (DeliveryFailed df; in.parse(df))
    on_delivery_failed(df, st);
  else if (Rejected rj; in.parse(rj))
    on_rejected(in, rj, st);
  else if (in.is<RedemptionTimeout>() && in.sender().empty())
    on_timeout(st);
  else if (RetryCompensation rc; in.parse(rc) && in.sender().empty())
    on_retry_timer(st, rc.branch());
  else if (!in.sender().empty() && in.wants_reply())
    ctx.reject("redemption saga does not understand '" + in.type() + "'");
}

} // namespace

void decide(const RedemptionState& s, const inbound& in, ctx_t& ctx, const loyalty_config& cfg) {
  step st{s, ctx, cfg, std::string{ref_id(ctx.self())}};
  decide_input(s, in, st);
  // A settled saga has nothing left to do: it leaves memory now instead of after the idle
  // timeout (at 10,000 sagas/s a node would otherwise hold 1.2 million finished sagas). A
  // late message brings it back from the snapshot passivation writes.
  if (is_settled(st.next))
    ctx.passivate();
}

} // namespace detail

entity_logic_ptr make_redemption_logic(const loyalty_config& cfg) {
  auto d = [cfg](const RedemptionState& s, const inbound& in, ctx_t& ctx) {
    detail::decide(s, in, ctx, cfg);
  };
  return std::make_shared<entity_definition<RedemptionState, RedemptionEvent>>(
    "redemption", d, apply_event, cfg.redemption_snapshot_every);
}

} // namespace sagaforge::redemption
