// The simulator's invariants (see sim_check.hpp). Each function checks one promise of
// docs/semantics.md or of a saga over the final state of a quiet run.
#include "tests/sim/sim_check.hpp"

#include <functional>

#include "actors/redemption/loyalty_config.hpp"
#include "actors/redemption/redemption.hpp"
#include "runtime/errors.hpp"
#include "runtime/record_codec.hpp"
#include "tests/sim/sim_store.hpp"

namespace sagaforge::sim {

namespace {

struct checker {
  const workload_plan& plan;
  const history& h;
  const final_state& s;
  std::vector<violation> out;

  /// Whether a command to `to` was given up (unacked past the max age: outcome unknown), so
  /// only upper bounds hold for its receiver. `prefix` matches any receiver starting so.
  bool unknown(const std::string& to, bool prefix = false) const {
    for (auto& r : h)
      if (r.given_up && (prefix ? r.to.rfind(to, 0) == 0 : r.to == to))
        return true;
    return false;
  }

  void fail(const char* invariant, std::string detail) {
    out.push_back(violation{invariant, std::move(detail)});
  }
};

std::string cut(const std::string& s, size_t n = 300) {
  return s.size() <= n ? s : s.substr(0, n) + "...";
}

bool saga_terminal(const fulfillment::SagaState& s) {
  using S = fulfillment::SagaState;
  return s.status() == S::COMPLETED || s.status() == S::COMPENSATED
         || s.status() == S::COMPENSATION_FAILED;
}

// -- liveness --

/// The run settled: nothing left to run, deliver, fire or resend before the horizon.
void quiescence(checker& c) {
  if (!c.s.quiet)
    c.fail("quiescence", "not quiet at the horizon: " + c.s.not_quiet);
}

/// Every saga that started ended: orders CONFIRMED with a COMPLETED saga or CANCELLED with a
/// COMPENSATED one; every redemption settled (terminal, nothing pending).
void sagas_terminal(checker& c) {
  using S = fulfillment::SagaState;
  for (auto& [id, o] : c.s.orders) {
    if (o.status().empty())
      continue;  // never created
    auto& saga = c.s.sagas.at(id);
    if (!saga_terminal(saga) || saga.status() == S::COMPENSATION_FAILED)
      c.fail("sagas_terminal", "order " + id + " " + o.status() + ": saga "
                                 + S::Status_Name(saga.status()) + " " + cut(saga.reason()));
    else if ((saga.status() == S::COMPLETED) != (o.status() == "CONFIRMED")
             || (saga.status() == S::COMPENSATED) != (o.status() == "CANCELLED"))
      c.fail("sagas_terminal", "order " + id + " is " + o.status() + " but its saga is "
                                 + S::Status_Name(saga.status()));
  }
  for (auto& [id, r] : c.s.redemptions)
    if (r.status() != redemption::NEW && !redemption::is_settled(r))
      c.fail("sagas_terminal", "redemption " + id + " not settled: "
                                 + redemption::status_name(r.status()));
}

// -- stock --

/// Per SKU: received = available + reserved + shipped, none negative; shipped = the units of
/// the CONFIRMED orders (never oversold).
void stock_conserved(checker& c) {
  std::map<std::string, int64_t> confirmed;
  for (auto& [id, o] : c.s.orders)
    if (o.status() == "CONFIRMED")
      for (auto& l : o.lines())
        confirmed[l.sku()] += l.quantity();
  for (auto& [sku, st] : c.s.stock) {
    if (st.available() < 0 || st.reserved() < 0 || st.shipped() < 0
        || st.available() + st.reserved() + st.shipped() != st.received())
      c.fail("stock_conserved", sku + ": " + cut(st.ShortDebugString()));
    if (st.shipped() != confirmed[sku])
      c.fail("stock_conserved", sku + " shipped " + std::to_string(st.shipped())
                                  + ", CONFIRMED orders hold " + std::to_string(confirmed[sku]));
  }
}

/// Once every saga ended, no unit is still reserved.
void no_leaked_reservation(checker& c) {
  for (auto& [sku, st] : c.s.stock) {
    bool open = st.reserved() != 0;
    for (auto& r : st.reservations())
      open = open || r.status() == inventory::Reservation::RESERVED;
    if (open)
      c.fail("no_leaked_reservation", sku + ": " + cut(st.ShortDebugString()));
  }
}

// -- money --

/// At most one capture and one refund per order; the gateway's ledger equals the payments'.
void charged_at_most_once(checker& c) {
  int64_t net = 0;
  for (auto& [id, p] : c.s.payments) {
    net += p.charged_cents() - p.refunded_cents();
    if (p.charges() > 1 || p.refunds() > 1)
      c.fail("charged_at_most_once", id + ": " + cut(p.ShortDebugString()));
  }
  auto& g = c.s.gateway;
  auto gateway_net = g.captured_cents() - g.voided_cents() - g.refunded_cents();
  if (gateway_net != net)
    c.fail("charged_at_most_once", "the gateway holds " + std::to_string(gateway_net)
                                     + " cents, the payments " + std::to_string(net));
}

/// CONFIRMED: charged the total, nothing refunded. CANCELLED (or never created): whatever was
/// charged was refunded.
void refunded_iff_cancelled(checker& c) {
  for (auto& [id, p] : c.s.payments) {
    auto& o = c.s.orders.at(id);
    if (o.status() == "CONFIRMED"
        && (p.charged_cents() != o.total_cents() || p.refunded_cents() != 0))
      c.fail("refunded_iff_cancelled", id + " CONFIRMED, payment " + cut(p.ShortDebugString()));
    if (o.status() != "CONFIRMED" && p.charged_cents() != p.refunded_cents())
      c.fail("refunded_iff_cancelled", id + " " + o.status() + ", payment "
                                         + cut(p.ShortDebugString()));
  }
}

// -- points and rewards --

const points::Deduction* deduction(const points::PointsState& a, const std::string& id) {
  for (auto& d : a.deductions())
    if (d.transaction_id() == id || d.transaction_id() == "redemption/" + id)
      return &d;
  return nullptr;
}

const reward::Allocation* allocation(const reward::RewardState& r, const std::string& id) {
  for (auto& a : r.allocations())
    if (a.redemption_id() == id || a.redemption_id() == "redemption/" + id)
      return &a;
  return nullptr;
}

/// Per account: balance = earned - spent + refunded - reversed >= 0; earned = the EarnPoints
/// sent + the credits of this customer's CONFIRMED orders (each credited once); spent and
/// refunded = the ledger's deductions.
void points_conserved(checker& c) {
  loyalty::loyalty_config defaults;
  for (auto& [cust, a] : c.s.accounts) {
    if (a.earned() - a.spent() + a.refunded() - a.reversed() != a.balance() || a.balance() < 0)
      c.fail("points_conserved", cust + ": " + cut(a.ShortDebugString()));
    int64_t credited = 0;
    for (auto& o : a.orders())
      credited += o.points();
    auto earn = c.plan.earned.count(cust) ? c.plan.earned.at(cust) : 0;
    bool exact = !c.unknown("points/" + cust);
    if (exact ? a.earned() != earn + credited : a.earned() > earn + credited)
      c.fail("points_conserved", cust + " earned " + std::to_string(a.earned()) + ", EarnPoints "
                                   + std::to_string(earn) + " + order credits "
                                   + std::to_string(credited));
    for (auto& [id, o] : c.s.orders) {
      if (o.customer_id() != cust)
        continue;
      const points::OrderCredit* credit = nullptr;
      for (auto& x : a.orders())
        credit = x.order_id() == id ? &x : credit;
      auto expected = o.status() == "CONFIRMED"
                        ? loyalty::points_for_order(defaults, o.total_cents()) : 0;
      auto got = credit && !credit->reversed() ? credit->points() - credit->reversed_points() : 0;
      if (got != expected)
        c.fail("points_conserved", cust + ": order " + id + " " + o.status() + " credited "
                                     + std::to_string(got) + ", expected "
                                     + std::to_string(expected));
    }
    int64_t spent = 0, refunded = 0;
    for (auto& d : a.deductions()) {
      if (d.status() == points::DEDUCTION_DONE || d.status() == points::DEDUCTION_REFUNDED)
        spent += d.points();
      if (d.status() == points::DEDUCTION_REFUNDED)
        refunded += d.points();
    }
    if (spent != a.spent() || refunded != a.refunded())
      c.fail("points_conserved", cust + ": the ledger spent " + std::to_string(spent)
                                   + " refunded " + std::to_string(refunded) + ", the account "
                                   + cut(a.ShortDebugString()));
  }
}

/// A Completed redemption holds its deduction and a reward unit; any other settled one
/// holds neither. Per reward: stocked = in stock + held.
void debited_iff_reward_issued(checker& c) {
  for (auto& [id, r] : c.s.redemptions) {
    if (r.status() == redemption::NEW)
      continue;
    auto& acct = c.s.accounts.at(r.customer_id());
    auto* d = deduction(acct, id);
    bool debited = d && d->status() == points::DEDUCTION_DONE;
    const reward::Allocation* a = nullptr;
    if (auto i = c.s.rewards.find(r.reward_id()); i != c.s.rewards.end())
      a = allocation(i->second, id);
    bool issued = a && a->status() == reward::ALLOCATION_HELD;
    bool completed = r.status() == redemption::COMPLETED;
    if (debited != completed || issued != completed)
      c.fail("debited_iff_reward_issued",
             id + " " + redemption::status_name(r.status()) + ": points "
               + (debited ? "debited" : "not debited") + ", reward unit "
               + (issued ? "held" : "not held"));
  }
  for (auto& [id, rw] : c.s.rewards) {
    int64_t held = 0;
    for (auto& a : rw.allocations())
      held += a.status() == reward::ALLOCATION_HELD ? 1 : 0;
    if (rw.stock() < 0 || rw.stocked_total() != rw.stock() + held)
      c.fail("debited_iff_reward_issued", id + ": stocked " + std::to_string(rw.stocked_total())
                                            + ", in stock " + std::to_string(rw.stock())
                                            + ", held " + std::to_string(held));
  }
}

// -- effects --

/// Nothing the client sent took effect more than once: counters hold at most the sum of the
/// adds and forwards sent, SKUs at most the units restocked, accounts at most the points
/// earned (order credits are checked by points_conserved).
void no_effect_twice(checker& c) {
  for (auto& ref : c.plan.counters) {
    auto& k = c.s.counters.at(ref);
    auto value = c.plan.counter_value.count(ref) ? c.plan.counter_value.at(ref) : 0;
    auto applied = c.plan.counter_applied.count(ref) ? c.plan.counter_applied.at(ref) : 0;
    if (k.value() > value || k.applied() > applied)
      c.fail("no_effect_twice", ref + " value " + std::to_string(k.value()) + " applied "
                                  + std::to_string(k.applied()) + ", sent "
                                  + std::to_string(value) + " in " + std::to_string(applied));
  }
  for (auto& [sku, st] : c.s.stock) {
    auto sent = c.plan.restocked.count(sku) ? c.plan.restocked.at(sku) : 0;
    if (st.received() > sent)
      c.fail("no_effect_twice", sku + " received " + std::to_string(st.received())
                                  + " units, restocks sent " + std::to_string(sent));
  }
  for (auto& [cust, a] : c.s.accounts) {
    int64_t ids = a.earn_ids_size();
    int64_t unique = 0;
    for (auto& cmd : c.h)
      unique += cmd.to == "points/" + cust && cmd.what.rfind("earn", 0) == 0 ? 1 : 0;
    if (ids > unique)
      c.fail("no_effect_twice", cust + " applied " + std::to_string(ids) + " EarnPoints of "
                                  + std::to_string(unique) + " sent");
  }
}

/// Every acknowledged command's effect is in the final state: counters hold every add and
/// forward (all were acknowledged before quiet), an acknowledged counter reply's `applied` is
/// not above the final one, an acknowledged create left an order, restocks are all received.
void acked_not_lost(checker& c) {
  // A forward given up - the client's command to a counter, or a counter's send to its peer
  // (the peer drops a copy that arrives past the de-dup retention) - may or may not have
  // reached its peer: then any counter's sum is unknown.
  bool given_up = c.unknown("counter/k", true);
  for (auto& [ref, k] : c.s.counters)
    given_up = given_up || k.failures() > 0;
  for (auto& ref : c.plan.counters) {
    auto& k = c.s.counters.at(ref);
    auto value = c.plan.counter_value.count(ref) ? c.plan.counter_value.at(ref) : 0;
    auto applied = c.plan.counter_applied.count(ref) ? c.plan.counter_applied.at(ref) : 0;
    if (c.s.quiet && !given_up && (k.value() < value || k.applied() < applied))
      c.fail("acked_not_lost", ref + " value " + std::to_string(k.value()) + " applied "
                                 + std::to_string(k.applied()) + ", acknowledged "
                                 + std::to_string(value) + " in " + std::to_string(applied));
  }
  for (auto& r : c.h) {
    if (!r.acked || r.ack.failed() || !r.ack.reply_error().empty())
      continue;
    if (r.ack.reply_type() == "sagaforge.counter.Value") {
      counter::Value v;
      v.ParseFromString(r.ack.reply_payload());
      auto i = c.s.counters.find(r.to);
      if (i != c.s.counters.end() && v.applied() > i->second.applied())
        c.fail("acked_not_lost", r.to + " acknowledged " + std::to_string(v.applied())
                                   + " adds, holds " + std::to_string(i->second.applied()));
    }
    if (r.what.rfind("create ", 0) == 0) {
      auto id = r.what.substr(7);
      if (c.s.orders.at(id).status().empty())
        c.fail("acked_not_lost", "order " + id + " was acknowledged but does not exist");
    }
  }
  for (auto& [sku, st] : c.s.stock) {
    auto sent = c.plan.restocked.count(sku) ? c.plan.restocked.at(sku) : 0;
    if (c.s.quiet && !c.unknown("inventory/" + sku) && st.received() < sent)
      c.fail("acked_not_lost", sku + " received " + std::to_string(st.received())
                                 + " units of the " + std::to_string(sent) + " acknowledged");
  }
}

/// Every durable timer the client set fired exactly once (its Add applied once).
void timers_fire_once(checker& c) {
  auto& k = c.s.counters.at(c.plan.timer_counter);
  bool over = k.applied() > c.plan.timers || k.value() > c.plan.timer_amount;
  bool under = k.applied() < c.plan.timers || k.value() < c.plan.timer_amount;
  if (over || (under && !c.unknown(c.plan.timer_counter)))
    c.fail("timers_fire_once", std::to_string(c.plan.timers) + " timers set for "
                                 + std::to_string(c.plan.timer_amount) + ", fired "
                                 + std::to_string(k.applied()) + " for "
                                 + std::to_string(k.value()));
}

/// Per channel, the receiver consumed envelopes in send order and each at most once: the
/// seqs of its log records strictly increase (a gap is a message dead-lettered at its
/// sender, or one the receiver consumed as failed, which is recorded too).
void per_channel_order(checker& c) {
  if (!c.s.unreadable_log.empty())
    c.fail("per_channel_order", "the log cannot be read: " + c.s.unreadable_log);
  for (auto& [channel, seqs] : c.s.consumed)
    for (size_t i = 1; i < seqs.size(); ++i)
      if (seqs[i] <= seqs[i - 1]) {
        c.fail("per_channel_order", channel.first + " consumed seq " + std::to_string(seqs[i])
                                      + " from " + channel.second + " after seq "
                                      + std::to_string(seqs[i - 1]));
        break;
      }
}

/// Every dead letter says why.
void dead_letters_have_reason(checker& c) {
  for (auto& d : c.s.dead_letters)
    if (d.reason().empty())
      c.fail("dead_letters_have_reason", cut(d.ShortDebugString()));
}

using invariant_fn = void (*)(checker&);

const std::vector<std::pair<const char*, invariant_fn>>& invariants() {
  static const std::vector<std::pair<const char*, invariant_fn>> all{
    {"quiescence", quiescence},
    {"sagas_terminal", sagas_terminal},
    {"stock_conserved", stock_conserved},
    {"no_leaked_reservation", no_leaked_reservation},
    {"charged_at_most_once", charged_at_most_once},
    {"refunded_iff_cancelled", refunded_iff_cancelled},
    {"points_conserved", points_conserved},
    {"debited_iff_reward_issued", debited_iff_reward_issued},
    {"no_effect_twice", no_effect_twice},
    {"acked_not_lost", acked_not_lost},
    {"timers_fire_once", timers_fire_once},
    {"per_channel_order", per_channel_order},
    {"dead_letters_have_reason", dead_letters_have_reason},
  };
  return all;
}

} // namespace

std::vector<violation> check_all(const workload_plan& plan, const history& h,
                                 const final_state& s) {
  checker c{plan, h, s, {}};
  for (auto& [name, fn] : invariants())
    fn(c);
  return std::move(c.out);
}

std::vector<std::string> invariant_names() {
  std::vector<std::string> out;
  for (auto& [name, fn] : invariants())
    out.push_back(name);
  return out;
}

final_state read_final(testing::test_node& node, const workload_plan& plan) {
  final_state s;
  for (auto& sku : plan.skus)
    s.stock[sku] = node.state_of<inventory::InventoryState>("inventory/" + sku);
  for (auto& id : plan.orders) {
    s.orders[id] = node.state_of<order::OrderState>("order/" + id);
    s.sagas[id] = node.state_of<fulfillment::SagaState>("fulfillment/" + id);
    s.payments[id] = node.state_of<payment::PaymentState>("payment/" + id);
  }
  s.gateway = node.state_of<payment::GatewayState>("gateway/g-0");
  for (auto& c : plan.customers)
    s.accounts[c] = node.state_of<points::PointsState>("points/" + c);
  for (auto& r : plan.rewards)
    s.rewards[r] = node.state_of<reward::RewardState>("reward/" + r);
  for (auto& id : plan.redemptions)
    s.redemptions[id] = node.state_of<redemption::RedemptionState>("redemption/" + id);
  for (auto& ref : plan.counters)
    s.counters[ref] = node.state_of<counter::CounterState>(ref);
  s.counters[plan.timer_counter] = node.state_of<counter::CounterState>(plan.timer_counter);
  if (auto dl = node.runtime().dead_letters())
    s.dead_letters = std::move(*dl);
  // The log in key order: per shard, in commit order; an entity lives in one shard.
  // The true records: a planted bug may hide some from the runtime (sim_store).
  auto& st = node.runtime().context().pipeline().backing_store();
  auto* sim = dynamic_cast<sim_store*>(&st);
  auto read = [&](const store::visitor& f) {
    return sim ? sim->raw_scan(table::log, {}, f) : st.scan(table::log, {}, f);
  };
  auto err = read([&](std::string_view, std::string_view value) {
    auto hdr = decode_log_header(value);
    auto rec = hdr ? decode_step_record(*hdr, "sim") : caf::expected<StepRecord>{hdr.error()};
    if (!rec) {
      s.unreadable_log = describe(rec.error());
      return false;
    }
    if (!rec->inbound_sender().empty())
      s.consumed[{std::string{hdr->ref}, rec->inbound_sender()}].push_back(rec->inbound_seq());
    return true;
  });
  if (err)
    s.unreadable_log = describe(err);
  return s;
}

std::string digest(const final_state& s) {
  std::string out;
  auto add = [&](const std::string& k, const auto& m) {
    out += k + ": " + m.ShortDebugString() + "\n";
  };
  for (auto& [k, v] : s.stock)
    add(k, v);
  for (auto& [k, v] : s.orders)
    add(k, v);
  for (auto& [k, v] : s.sagas)
    add(k, v);
  for (auto& [k, v] : s.payments)
    add(k, v);
  add("gateway", s.gateway);
  for (auto& [k, v] : s.accounts)
    add(k, v);
  for (auto& [k, v] : s.rewards)
    add(k, v);
  for (auto& [k, v] : s.redemptions)
    add(k, v);
  for (auto& [k, v] : s.counters)
    add(k, v);
  for (auto& d : s.dead_letters)
    add("dead letter", d);
  return out;
}

} // namespace sagaforge::sim
