// The redemption workload: seeds points accounts and rewards, runs N redemption sagas
// through a node's client endpoint (closed loop: a fixed number in flight; open loop: a
// fixed offered rate), waits until every saga is settled, then checks the invariants from
// the entities' states and their journals — for this run, and again over everything the
// store holds (a run after a killed one re-verifies what that one left). Every wait has a
// deadline (deadline_ms) and ends early when the store fails. The node's main job and `sagaforge-bench saga
// --mode redemption` call it. Call from a non-actor thread; the node must register the
// loyalty types (loyalty::make_loyalty_logic).
#pragma once

#include <cstdint>
#include <cstdio>
#include <map>
#include <string>
#include <vector>

#include "caf/expected.hpp"

#include "runtime/node_runtime.hpp"

namespace sagaforge::redemption {

struct workload_options {
  std::string run_id;                   // id prefix; empty: derived from the clock
  int64_t customers = 2000;
  int64_t rewards = 100;
  int64_t redemptions = 10000;
  int64_t points_per_customer = 500;    // seeded balance
  int64_t reward_cost_points = 100;
  int64_t reward_stock = 95;            // per reward
  int64_t inactive_reward_every = 50;   // every n-th reward is inactive (0: none)
  int64_t concurrency = 512;            // closed loop: sagas in flight
  double rate_per_s = 0;                // > 0: open loop at this offered rate
  int64_t in_flight_max = 50000;        // open loop: bound on sagas in flight
  int64_t poll_interval_ms = 1000;      // fallback inspect poll of a saga not reported settled
  int64_t deadline_ms = 300000;         // give up waiting for settlement after this
  int64_t seed_window = 512;            // seeding commands in flight
  uint64_t seed = 42;
  bool check_journals = true;           // recompute balances from the points journals
};

struct workload_result {
  std::string run_id;
  int64_t issued = 0;
  int64_t rejected = 0;                 // Start refused (should be 0)
  std::map<std::string, int64_t> by_status;  // settled sagas by final status
  int64_t unsettled = 0;                // not settled by the deadline
  double seconds = 0;                   // first Start to last settlement
  double cpu_seconds = 0;               // process CPU (all threads) over the same window
  double redemptions_per_s = 0;         // settled sagas per second
  double p50_ms = 0, p99_ms = 0, p999_ms = 0;  // Start sent -> saga settled (ms resolution)
  double steps_per_saga = 0;            // durable steps (all entities) per settled saga
  double steps_per_commit = 0;
  double polls_per_saga = 0;            // fallback inspect requests (the observer reports first)
  // -- invariants --
  int64_t earned = 0, spent = 0, refunded = 0, reversed = 0, balance = 0;  // run's accounts
  int64_t accounts_violating = 0;       // earned - spent + refunded - reversed != balance, < 0,
                                        // or the journal disagrees with the live state
  int64_t completed_points = 0;         // sum of costs of Completed sagas
  int64_t stocked = 0, in_stock = 0, held = 0;  // run's rewards
  int64_t rewards_violating = 0;        // stocked != in stock + held, or held != completed
  bool wallet_checked = true;           // false when the journals are not on this node
  int64_t wallet_entries = 0;           // the wallet read model's rewards (== Completed)
  bool points_conserved = false;        // per account and in total
  bool debit_iff_issued = false;        // spent - refunded == completed_points
  bool stock_conserved = false;
  bool wallet_ok = false;               // the wallet read model lists exactly the Completed
  bool ok = false;                      // every invariant held and every saga settled
  // -- store-wide (every saga, account and reward the store holds, all runs) --
  int64_t store_sagas_checked = 0, store_accounts_checked = 0, store_rewards_checked = 0;
  std::vector<std::string> store_violations;
};

/// Seeds, runs and checks. Errors only for set-up failures (seeding refused, store errors).
caf::expected<workload_result> run_redemption_workload(node_runtime& node,
                                                       const workload_options& opts);

/// Human-readable report (outcomes, throughput, latency, invariants).
void print_workload_result(const workload_result& r, std::FILE* out = stdout);

/// Runs, prints, and returns 0 when every invariant held (the main job's entry point).
int run_redemption_demo(node_runtime& node, const workload_options& opts);

} // namespace sagaforge::redemption
