// Read models of the loyalty domain, rebuilt from the journals (node_runtime::for_each_event):
// each customer's wallet (the rewards they redeemed) and the redemptions by status. Built
// on demand from a non-actor thread; nothing here writes to the store.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <vector>

#include "caf/expected.hpp"

#include "redemption.pb.h"
#include "runtime/node_runtime.hpp"

namespace sagaforge::redemption {

struct wallet_entry {
  std::string redemption_id;
  std::string reward_id;
  std::string reward_name;
  int64_t points = 0;
  int64_t at_ms = 0;
};

struct loyalty_views {
  /// customer id -> rewards redeemed, in the order they were redeemed.
  std::map<std::string, std::vector<wallet_entry>> wallets;
  /// status name ("Completed", "Compensated", ...) -> redemption ids.
  std::map<std::string, std::vector<std::string>> by_status;
  /// redemption id -> the saga's state folded from its journal.
  std::map<std::string, RedemptionState> redemptions;
};

/// Folds every redemption journal (or only ids starting with `id_prefix`).
caf::expected<loyalty_views> rebuild_loyalty_views(node_runtime& node,
                                                   const std::string& id_prefix = {});

} // namespace sagaforge::redemption
