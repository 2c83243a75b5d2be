// The redemption workload's store-wide checks: the invariants over every redemption saga,
// points account and reward the store holds, not only this run's, so a run that follows a
// killed one re-verifies what the killed run left. Before the run it waits until every
// stored saga is settled (a killed run's sagas finish after the restart); after it:
//   - every stored redemption saga settled;
//   - per account: earned - spent + refunded - reversed = balance >= 0, and spent - refunded
//     = the costs of that customer's Completed sagas (all runs);
//   - per reward: stocked = in stock + held, and held = that reward's Completed sagas.
#include <cstdio>
#include <map>

#include "actors/redemption/redemption.hpp"
#include "actors/redemption/redemption_workload_parts.hpp"
#include "points.pb.h"
#include "reward.pb.h"
#include "runtime/entity_await.hpp"

namespace sagaforge::redemption::workload {

namespace {

using steady = std::chrono::steady_clock;

std::string id_of(const std::string& ref) {
  return ref.substr(ref.find('/') + 1);
}

void violate(workload_result& r, std::string what) {
  r.ok = false;
  if (r.store_violations.size() < 20)
    r.store_violations.push_back(std::move(what));
}

} // namespace

bool wait_sagas_settled(node_runtime& node, int64_t deadline_ms, const char* when,
                        std::vector<RedemptionState>* settled) {
  auto open = await_entities(
    node, "redemption",
    [](const EntityReport& rep) {
      RedemptionState s;
      return s.ParseFromString(rep.state()) && is_settled(s);
    },
    steady::now() + std::chrono::milliseconds{deadline_ms},
    [settled](const EntityReport& rep) {
      if (settled)
        settled->emplace_back().ParseFromString(rep.state());
    });
  if (open.empty())
    return true;
  std::printf("redemptions: %s: %zu stored sagas are not settled%s (e.g. %s)\n", when,
              open.size(),
              node.context().pipeline().healthy() ? " by the deadline" : " (the store failed)",
              open.front().c_str());
  return false;
}

void check_store(node_runtime& node, const std::vector<RedemptionState>& sagas,
                 workload_result& r) {
  std::map<std::string, int64_t> cost_by_customer, done_by_reward;
  for (auto& s : sagas) {
    ++r.store_sagas_checked;
    if (s.status() != COMPLETED)
      continue;
    cost_by_customer[s.customer_id()] += s.expected_cost();
    done_by_reward[s.reward_id()] += 1;
  }
  for (auto& ref : node.known_refs("points")) {
    ++r.store_accounts_checked;
    points::PointsState s;
    if (std::string why; !read_entity_state(node, ref, s, std::chrono::seconds{5}, &why)) {
      violate(r, "cannot read " + ref + ": " + why);
      continue;
    }
    auto done = cost_by_customer[id_of(ref)];
    if (s.earned() - s.spent() + s.refunded() - s.reversed() != s.balance() || s.balance() < 0
        || s.spent() - s.refunded() != done)
      violate(r, ref + ": " + s.ShortDebugString().substr(0, 160)
                   + "; Completed sagas in the store cost " + std::to_string(done));
  }
  for (auto& ref : node.known_refs("reward")) {
    ++r.store_rewards_checked;
    reward::RewardState s;
    if (std::string why; !read_entity_state(node, ref, s, std::chrono::seconds{5}, &why)) {
      violate(r, "cannot read " + ref + ": " + why);
      continue;
    }
    int64_t held = 0;
    for (auto& a : s.allocations())
      held += a.status() == reward::ALLOCATION_HELD ? 1 : 0;
    auto done = done_by_reward[id_of(ref)];
    if (s.stocked_total() != s.stock() + held || held != done)
      violate(r, ref + ": stocked " + std::to_string(s.stocked_total()) + ", in stock "
                   + std::to_string(s.stock()) + ", held " + std::to_string(held)
                   + "; Completed sagas in the store " + std::to_string(done));
  }
}

} // namespace sagaforge::redemption::workload
