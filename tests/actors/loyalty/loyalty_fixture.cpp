// Loyalty test helpers and fault doubles (see loyalty_fixture.hpp).
#include "tests/actors/loyalty/loyalty_fixture.hpp"

#include <stdexcept>

#include "envelope.pb.h"
#include "runtime/log_keys.hpp"

namespace sagaforge::loyalty::testing {

loyalty_config test_config() {
  loyalty_config cfg;
  cfg.saga_timeout_ms = 30000;
  cfg.compensation_attempts_max = 3;
  cfg.compensation_backoff_initial_ms = 100;
  cfg.compensation_backoff_max_ms = 1000;
  cfg.points_snapshot_every = 5;  // snapshots + tails are exercised by every crash test
  cfg.reward_snapshot_every = 5;
  cfg.redemption_snapshot_every = 3;
  return cfg;
}

std::vector<entity_logic_ptr> loyalty_types(const loyalty_config& cfg) {
  return make_loyalty_logic(cfg);
}

std::vector<entity_logic_ptr> with_type(std::vector<entity_logic_ptr> types,
                                        entity_logic_ptr replacement) {
  for (auto& t : types)
    if (t->type_name() == replacement->type_name())
      t = replacement;
  return types;
}

// -- commands --

void earn(test_node& node, const std::string& customer, int64_t points, const std::string& txn) {
  points::EarnPoints e;
  e.set_transaction_id(txn);
  e.set_points(points);
  node.send("points/" + customer, e);
  node.run();
}

void define_reward(test_node& node, const std::string& reward, int64_t cost, int64_t stock,
                   bool active) {
  reward::DefineReward d;
  d.set_name("gift " + reward);
  d.set_points_cost(cost);
  d.set_stock(stock);
  d.set_active(active);
  node.send("reward/" + reward, d);
  node.run();
}

typed_bytes start_msg(const std::string& customer, const std::string& reward, int64_t cost) {
  redemption::StartRedemption s;
  s.set_customer_id(customer);
  s.set_reward_id(reward);
  s.set_expected_cost(cost);
  return typed_bytes::of(s);
}

uint64_t start(test_node& node, const std::string& id, const std::string& customer,
               const std::string& reward, int64_t cost, const std::string& sender) {
  return node.send_raw("redemption/" + id, start_msg(customer, reward, cost), sender);
}

// -- reading state --

redemption::RedemptionState saga(test_node& node, const std::string& id) {
  return node.state_of<redemption::RedemptionState>("redemption/" + id);
}

points::PointsState account(test_node& node, const std::string& customer) {
  return node.state_of<points::PointsState>("points/" + customer);
}

reward::RewardState reward_of(test_node& node, const std::string& reward) {
  return node.state_of<reward::RewardState>("reward/" + reward);
}

int64_t held_units(const reward::RewardState& s) {
  int64_t n = 0;
  for (auto& a : s.allocations())
    n += a.status() == reward::ALLOCATION_HELD ? 1 : 0;
  return n;
}

uint64_t log_records(store& st) {
  uint64_t n = 0;
  st.scan(table::log, {}, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

namespace {

void strip_times(redemption::BranchState* b) {
  b->clear_sent_at_ms();
  b->clear_resolved_at_ms();
  b->clear_late();  // depends on which answer came first, which a restart may change
}

} // namespace

std::string fingerprint(test_node& node, const std::vector<std::string>& sagas,
                        const std::vector<std::string>& customers,
                        const std::vector<std::string>& rewards) {
  std::string out;
  for (auto& id : sagas) {
    auto s = saga(node, id);
    s.clear_started_at_ms();
    s.clear_timeout_at_ms();
    s.clear_finished_at_ms();
    strip_times(s.mutable_points());
    strip_times(s.mutable_validation());
    strip_times(s.mutable_inventory());
    for (auto& e : *s.mutable_compensations()) {
      e.clear_issued_at_ms();
      e.clear_done_at_ms();
      e.clear_next_retry_at_ms();
    }
    out += "saga " + id + ": " + s.ShortDebugString() + "\n";
  }
  for (auto& c : customers)
    out += "account " + c + ": " + account(node, c).ShortDebugString() + "\n";
  for (auto& r : rewards)
    out += "reward " + r + ": " + reward_of(node, r).ShortDebugString() + "\n";
  return out;
}

} // namespace sagaforge::loyalty::testing
