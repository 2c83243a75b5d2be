// The loyalty domain assembled: its configuration check and its entity types.
#include "actors/points/points.hpp"
#include "actors/redemption/loyalty_config.hpp"
#include "actors/redemption/redemption.hpp"
#include "actors/reward/reward.hpp"

namespace sagaforge::loyalty {

namespace {

std::string out_of_range(const char* name, int64_t value, int64_t min, int64_t max) {
  if (value >= min && value <= max)
    return {};
  return std::string{"loyalty."} + name + " = " + std::to_string(value) + " is outside "
         + std::to_string(min) + ".." + std::to_string(max);
}

} // namespace

std::string check_loyalty_config(const loyalty_config& cfg) {
  struct row {
    const char* name;
    int64_t value, min, max;
  };
  const row rows[] = {
    {"points_per_currency_unit", cfg.points_per_currency_unit, 0, 1000},
    {"cents_per_currency_unit", cfg.cents_per_currency_unit, 1, 1000000},
    {"saga_timeout_ms", cfg.saga_timeout_ms, 1, 7 * 24 * 3600 * 1000LL},
    {"compensation_attempts_max", cfg.compensation_attempts_max, 1, 1000},
    {"compensation_backoff_initial_ms", cfg.compensation_backoff_initial_ms, 1, 3600000},
    {"compensation_backoff_max_ms", cfg.compensation_backoff_max_ms,
     cfg.compensation_backoff_initial_ms, 24 * 3600000LL},
    {"points_per_command_max", cfg.points_per_command_max, 1, 1000000000000LL},
    {"account_balance_max", cfg.account_balance_max, cfg.points_per_command_max,
     1000000000000000000LL},
    {"reward_stock_max", cfg.reward_stock_max, 0, 1000000000000LL},
    {"reward_name_bytes_max", cfg.reward_name_bytes_max, 1, 4096},
    {"reason_bytes_max", cfg.reason_bytes_max, 16, 4096},
    {"account_ledger_entries_max", cfg.account_ledger_entries_max, 1, 10000000},
    {"reward_ledger_entries_max", cfg.reward_ledger_entries_max, 1, 100000000},
  };
  for (auto& r : rows)
    if (auto what = out_of_range(r.name, r.value, r.min, r.max); !what.empty())
      return what;
  return {};
}

std::vector<entity_logic_ptr> make_loyalty_logic(const loyalty_config& cfg) {
  return {points::make_points_logic(cfg), reward::make_reward_logic(cfg),
          redemption::make_redemption_logic(cfg)};
}

} // namespace sagaforge::loyalty
