// Internal to the redemption workload: the ids it uses and the pieces its two source files
// share (redemption_workload.cpp drives, redemption_workload_check.cpp checks and prints).
#pragma once

#include <string>
#include <vector>

#include "actors/redemption/redemption_workload.hpp"
#include "redemption.pb.h"

namespace sagaforge::redemption::workload {

inline std::string customer_id(const std::string& run, int64_t i) {
  return run + "-C" + std::to_string(i);
}

inline std::string reward_id(const std::string& run, int64_t i) {
  return run + "-R" + std::to_string(i);
}

inline std::string saga_id(const std::string& run, int64_t i) {
  return run + "-S" + std::to_string(i);
}

/// What the driver saw of one saga: its final state once settled.
struct saga_record {
  std::string id;
  bool settled = false;
  bool rejected = false;
  RedemptionState state;
};

/// Fills the invariant part of `r` from the entities' live states, their journals and the
/// sagas' final states.
caf::error check_invariants(node_runtime& node, const workload_options& opts,
                            const std::vector<saga_record>& sagas, workload_result& r);

/// Waits until every redemption saga the store holds is settled (collecting their states
/// in `settled` when given); false, saying why and naming `when`, at the deadline or when
/// the store fails (redemption_store_check.cpp).
bool wait_sagas_settled(node_runtime& node, int64_t deadline_ms, const char* when,
                        std::vector<RedemptionState>* settled = nullptr);

/// The store-wide invariants over every saga (given, settled), account and reward the node
/// knows; violations go to r.store_violations and clear r.ok.
void check_store(node_runtime& node, const std::vector<RedemptionState>& sagas,
                 workload_result& r);

} // namespace sagaforge::redemption::workload
