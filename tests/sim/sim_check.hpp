// sim_check: the invariants a simulated run must keep, each a named function over the plan
// (what was asked), the client's history (what was acknowledged) and the final state read
// from the node once it is quiet. A violation names its invariant and what it saw.
#pragma once

#include <map>
#include <string>
#include <vector>

#include "counter.pb.h"
#include "fulfillment.pb.h"
#include "inventory.pb.h"
#include "order.pb.h"
#include "payment.pb.h"
#include "points.pb.h"
#include "redemption.pb.h"
#include "reward.pb.h"
#include "runtime_records.pb.h"
#include "tests/sim/sim_workload.hpp"

namespace sagaforge::sim {

struct final_state {
  bool quiet = false;           // no job, message, timer or unacked command was left
  std::string not_quiet;        // what was left, when not quiet
  std::map<std::string, inventory::InventoryState> stock;         // by sku
  std::map<std::string, order::OrderState> orders;                // by order id
  std::map<std::string, fulfillment::SagaState> sagas;            // by order id
  std::map<std::string, payment::PaymentState> payments;          // by order id
  payment::GatewayState gateway;
  std::map<std::string, points::PointsState> accounts;            // by customer
  std::map<std::string, reward::RewardState> rewards;             // by reward id
  std::map<std::string, redemption::RedemptionState> redemptions;  // by id
  std::map<std::string, counter::CounterState> counters;          // by ref
  std::vector<DeadLetter> dead_letters;
  /// Per channel (receiver, sender): the seqs of the envelopes the receiver consumed, in the
  /// order of its log records (the store outlives every incarnation, so this is the history).
  std::map<std::pair<std::string, std::string>, std::vector<uint64_t>> consumed;
  std::string unreadable_log;  // why the log could not be read ("" when it could)
};

/// Reads every entity the plan touched (and the dead letters) from the node.
final_state read_final(testing::test_node& node, const workload_plan& plan);

/// The final state as text (timestamps included: they are virtual, hence the seed's too),
/// mixed into the trace hash.
std::string digest(const final_state& s);

struct violation {
  std::string invariant;
  std::string detail;
};

using history = std::vector<sim_client::record>;

/// Every invariant, in a fixed order; empty when all hold.
std::vector<violation> check_all(const workload_plan& plan, const history& h,
                                 const final_state& s);

/// The invariants' names, as check_all reports them.
std::vector<std::string> invariant_names();

} // namespace sagaforge::sim
