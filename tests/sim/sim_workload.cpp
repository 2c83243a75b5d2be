// sim_workload implementation: the seed's plan and the resending client.
#include "tests/sim/sim_workload.hpp"

#include <algorithm>

#include "counter.pb.h"
#include "inventory.pb.h"
#include "order.pb.h"
#include "points.pb.h"
#include "redemption.pb.h"
#include "reward.pb.h"
#include "runtime/durable_mailbox.hpp"

namespace sagaforge::sim {

namespace {

template <class T>
command cmd(int64_t at, std::string to, const T& msg, std::string what) {
  return command{at, std::move(to), typed_bytes::of(msg), std::move(what)};
}

template <class V>
const std::string& pick(sim_rng& rng, const V& v) {
  return v[rng.below(v.size())];
}

void plan_setup(sim_rng& rng, workload_plan& p, std::map<std::string, int64_t>& costs) {
  for (auto& sku : p.skus) {
    auto n = rng.range(0, 8);
    if (n == 0)
      continue;  // never stocked: its lines are out of stock
    inventory::Restock r;
    r.set_quantity(n);
    p.restocked[sku] += n;
    p.commands.push_back(cmd(0, "inventory/" + sku, r, "restock " + sku));
  }
  for (auto& c : p.customers) {
    points::EarnPoints e;
    e.set_transaction_id("earn-" + c + "-0");
    e.set_points(rng.range(0, 3) * 100);
    if (e.points() == 0)
      continue;
    p.earned[c] += e.points();
    p.commands.push_back(cmd(0, "points/" + c, e, "earn " + c));
  }
  for (auto& r : p.rewards) {
    reward::DefineReward d;
    d.set_name("gift " + r);
    d.set_points_cost(rng.range(1, 3) * 50);
    d.set_stock(rng.range(0, 3));
    d.set_active(rng.chance(900));
    costs[r] = d.points_cost();
    p.commands.push_back(cmd(0, "reward/" + r, d, "define " + r));
  }
}

void plan_orders(sim_rng& rng, workload_plan& p) {
  auto n = rng.range(3, 8);
  for (int64_t i = 0; i < n; ++i) {
    order::CreateOrder c;
    auto id = "ORD-" + std::to_string(i);
    c.set_order_id(id);
    c.set_customer_id(pick(rng, p.customers));
    auto first = rng.below(p.skus.size());
    auto lines = rng.range(1, 2);
    for (int64_t l = 0; l < lines; ++l) {
      auto* x = c.add_lines();
      x->set_sku(p.skus[(first + static_cast<uint64_t>(l)) % p.skus.size()]);
      x->set_quantity(rng.range(1, 3));
      x->set_unit_price_cents(rng.range(1, 30) * 100);
    }
    if (rng.chance(150))
      c.set_card("declined");
    if (rng.chance(100))
      c.set_ship_to("nowhere");
    auto at = rng.range(200, 12000);
    p.orders.push_back(id);
    p.commands.push_back(cmd(at, "order/" + id, c, "create " + id));
    if (rng.chance(300)) {
      order::CancelOrder x;
      x.set_reason("customer changed their mind");
      p.commands.push_back(cmd(at + rng.range(0, 8000), "order/" + id, x, "cancel " + id));
    }
  }
  for (auto k = rng.range(0, 3); k > 0; --k) {
    inventory::Restock r;
    r.set_quantity(rng.range(1, 5));
    auto& sku = pick(rng, p.skus);
    p.restocked[sku] += r.quantity();
    p.commands.push_back(cmd(rng.range(200, 15000), "inventory/" + sku, r, "restock " + sku));
  }
}

void plan_redemptions(sim_rng& rng, workload_plan& p, const std::map<std::string, int64_t>& costs) {
  auto n = rng.range(2, 6);
  for (int64_t i = 0; i < n; ++i) {
    redemption::StartRedemption s;
    auto id = "RDM-" + std::to_string(i);
    s.set_customer_id(pick(rng, p.customers));
    s.set_reward_id(pick(rng, p.rewards));
    s.set_expected_cost(costs.at(s.reward_id()) + (rng.chance(100) ? 1 : 0));
    p.redemptions.push_back(id);
    p.commands.push_back(cmd(rng.range(200, 15000), "redemption/" + id, s, "redeem " + id));
  }
  for (auto k = rng.range(0, 2); k > 0; --k) {
    points::EarnPoints e;
    auto& c = pick(rng, p.customers);
    e.set_transaction_id("earn-" + c + "-" + std::to_string(k));
    e.set_points(100);
    p.earned[c] += 100;
    p.commands.push_back(cmd(rng.range(200, 15000), "points/" + c, e, "earn " + c));
  }
}

void plan_counters(sim_rng& rng, workload_plan& p) {
  for (auto k = rng.range(5, 15); k > 0; --k) {
    auto& to = pick(rng, p.counters);
    auto amount = rng.range(1, 9);
    auto at = rng.range(0, 15000);
    if (rng.chance(700)) {
      counter::Add a;
      a.set_amount(amount);
      p.counter_value[to] += amount;
      p.counter_applied[to] += 1;
      p.commands.push_back(cmd(at, to, a, "add " + to));
    } else {
      auto& peer = pick(rng, p.counters);
      if (peer == to)
        continue;
      counter::Forward f;
      f.set_to(peer);
      f.set_amount(amount);
      p.counter_value[to] += amount;
      p.counter_value[peer] += amount;
      p.counter_applied[peer] += 1;
      p.commands.push_back(cmd(at, to, f, "forward " + to + " -> " + peer));
    }
  }
  for (auto k = rng.range(1, 3); k > 0; --k) {
    counter::SetTimer t;
    t.set_name("t" + std::to_string(k));
    t.set_delay_ms(rng.range(100, 20000));
    t.set_amount(rng.range(1, 9));
    p.timers += 1;
    p.timer_amount += t.amount();
    p.commands.push_back(cmd(rng.range(0, 10000), p.timer_counter, t, "timer " + t.name()));
  }
}

} // namespace

workload_plan make_plan(sim_rng& rng) {
  workload_plan p;
  p.skus = {"SKU-0000", "SKU-0001", "SKU-0002", "SKU-0003"};
  p.customers = {"CUST-0", "CUST-1", "CUST-2"};
  p.rewards = {"RW-0", "RW-1"};
  p.counters = {"counter/k0", "counter/k1", "counter/k2"};
  std::map<std::string, int64_t> costs;
  plan_setup(rng, p, costs);
  plan_orders(rng, p);
  plan_redemptions(rng, p, costs);
  plan_counters(rng, p);
  std::stable_sort(p.commands.begin(), p.commands.end(),
                   [](const command& a, const command& b) { return a.at_ms < b.at_ms; });
  return p;
}

void sim_client::transmit(testing::test_node& node, const record& r) const {
  // As the node's own client does (semantics.md, "channel floor"): the floor is the lowest
  // seq still unacked on the channel, so a receiver whose de-dup record of this channel has
  // expired (idle beyond retry.dedup-retention-ms, e.g. after a clock step) does not wait for
  // seqs that were settled long ago.
  uint64_t floor = r.seq;
  for (auto& x : sent_)
    if (!x.acked && x.to == r.to && x.seq < floor)
      floor = x.seq;
  Envelope env;
  env.set_id(envelope_id("client/test", r.to, r.seq));
  env.set_sender("client/test");
  env.set_receiver(r.to);
  env.set_type(r.msg.type);
  env.set_payload(r.msg.payload);
  env.set_attempt(1);
  env.set_created_at_ms(r.created_ms);  // a resend is the same envelope
  env.set_channel_seq(r.seq);
  env.set_channel_floor(floor);
  env.set_wants_reply(true);
  node.deliver_bytes(r.to, env.SerializeAsString());
}

void sim_client::send(testing::test_node& node, const command& c) {
  record r;
  r.to = c.to;
  r.seq = ++seqs_[c.to];
  r.msg = c.msg;
  r.what = c.what;
  r.last_sent_ms = node.now_ms();
  r.created_ms = r.last_sent_ms;
  transmit(node, r);
  by_key_[r.to + "#" + std::to_string(r.seq)] = sent_.size();
  sent_.push_back(std::move(r));
  ++unacked_;
}

void sim_client::resend(testing::test_node& node, int64_t after_ms, int64_t max_age_ms) {
  auto now = node.now_ms();
  for (auto& r : sent_)
    if (!r.acked && !r.given_up && now - r.created_ms > max_age_ms) {
      r.given_up = true;
      --unacked_;
    } else if (!r.acked && !r.given_up && (after_ms == 0 || r.last_sent_ms + after_ms <= now)) {
      r.last_sent_ms = now;
      transmit(node, r);
    }
}

int64_t sim_client::next_resend(int64_t after_ms) const {
  int64_t out = -1;
  for (auto& r : sent_)
    if (!r.acked && !r.given_up && (out < 0 || r.last_sent_ms + after_ms < out))
      out = r.last_sent_ms + after_ms;
  return out;
}

void sim_client::harvest(testing::test_node& node) {
  for (; seen_ < node.acks.size(); ++seen_) {
    auto& a = node.acks[seen_];
    auto i = by_key_.find(a.receiver() + "#" + std::to_string(a.channel_seq()));
    if (i == by_key_.end() || sent_[i->second].acked)
      continue;  // a duplicate ack
    auto& r = sent_[i->second];
    if (!r.given_up)
      --unacked_;
    r.acked = true;  // an ack after giving up still tells the outcome
    r.given_up = false;
    r.ack = a;
  }
}

} // namespace sagaforge::sim
