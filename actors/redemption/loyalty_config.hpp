// The loyalty domain's settings (points accounts, rewards, redemption sagas) and the one
// function a node calls to register the domain's entity types. Every limit is a named
// value with its unit last; `check_loyalty_config` refuses out-of-range values.
#pragma once

#include <cstdint>
#include <limits>
#include <string>
#include <vector>

#include "runtime/entity_logic.hpp"

namespace sagaforge::loyalty {

struct loyalty_config {
  // -- points from orders --
  int64_t points_per_currency_unit = 1;   // credited per whole currency unit of an order
  int64_t cents_per_currency_unit = 100;  // money is integer cents
  // -- the redemption saga --
  int64_t saga_timeout_ms = 30000;        // results not all in by then: compensate
  int64_t compensation_attempts_max = 8;  // sends of one compensation before it parks
  int64_t compensation_backoff_initial_ms = 500;  // doubles per failed delivery
  int64_t compensation_backoff_max_ms = 60000;
  // -- bounds on input and state --
  int64_t points_per_command_max = 1000000000;
  int64_t account_balance_max = 1000000000000000;
  int64_t reward_stock_max = 1000000000;
  int64_t reward_name_bytes_max = 128;
  int64_t reason_bytes_max = 256;
  int64_t account_ledger_entries_max = 100000;  // deductions + orders + earn ids per account
  int64_t reward_ledger_entries_max = 1000000;  // allocations per reward
  // -- snapshots (records between snapshots; 0 = never) --
  uint32_t points_snapshot_every = 100;
  uint32_t reward_snapshot_every = 100;
  uint32_t redemption_snapshot_every = 0;  // short-lived: a saga has about ten records
};

/// Empty when every value is in range; otherwise names the field, its value and the range.
std::string check_loyalty_config(const loyalty_config& cfg);

/// Every entity type of the loyalty domain: points, reward, redemption.
std::vector<entity_logic_ptr> make_loyalty_logic(const loyalty_config& cfg = {});

/// Points credited for an order of `total_cents` (whole currency units only).
inline int64_t points_for_order(const loyalty_config& cfg, int64_t total_cents) {
  if (total_cents <= 0 || cfg.cents_per_currency_unit <= 0)
    return 0;
  auto units = total_cents / cfg.cents_per_currency_unit;
  if (cfg.points_per_currency_unit > 0 && units > std::numeric_limits<int64_t>::max() / cfg.points_per_currency_unit)
    return std::numeric_limits<int64_t>::max();  // callers clamp to their own bound
  return units * cfg.points_per_currency_unit;
}

} // namespace sagaforge::loyalty
