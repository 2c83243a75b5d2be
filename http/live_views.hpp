// The read models the business and admin APIs list from, kept live: orders by customer,
// every saga (fulfillment and redemption) by status with its age, and each customer's
// wallet (rewards redeemed). Folded from the journals once at start-up, then fed by the
// entities' committed states (runtime_context::observe), so no request scans a journal.
// Also the saga outcome counters and duration histogram /metrics exports.
// Thread-safe: written on entity actors, read on HTTP workers.
#pragma once

#include <cstdint>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <string>
#include <vector>

#include "caf/error.hpp"

#include "actors/redemption/redemption_views.hpp"
#include "runtime/histogram.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge::http {

struct saga_row {
  std::string type;  // "fulfillment" | "redemption"
  std::string id;
  std::string status;  // the saga's own status names
  std::string step;    // what it is doing now (fulfillment: the current step's name)
  int64_t started_ms = 0;
  int64_t finished_ms = 0;  // 0 while not terminal
};

struct order_row {
  std::string order_id;
  std::string customer_id;
  std::string status;
  int64_t total_cents = 0;
  int64_t created_ms = 0;
  int64_t finished_ms = 0;
};

/// /metrics' view of the sagas: counts by (type, status), outcomes since start, durations.
struct saga_stats {
  std::map<std::pair<std::string, std::string>, uint64_t> by_status;
  std::map<std::pair<std::string, std::string>, uint64_t> finished;  // terminal outcomes
  std::map<std::string, atomic_histogram::reading> duration_seconds;
  std::map<std::string, uint64_t> breakers;  // circuit breaker state name -> gateways in it
};

class live_views {
public:
  live_views();
  ~live_views();
  live_views(const live_views&) = delete;
  live_views& operator=(const live_views&) = delete;

  /// Subscribes, then folds the journals. Call once after the node started; detach before
  /// the node stops.
  caf::error attach(node_runtime& node);
  void detach();

  /// Orders of a customer, oldest first, after the cursor `after` (an order id).
  std::vector<order_row> orders_of(const std::string& customer, const std::string& after,
                                   size_t limit) const;
  /// Sagas of `type` ("" any) and `status` ("" any) started before `started_before_ms`
  /// (0: any), sorted by (type, id), after the cursor "type/id".
  std::vector<saga_row> sagas(const std::string& type, const std::string& status,
                              int64_t started_before_ms, const std::string& after,
                              size_t limit) const;
  std::vector<redemption::wallet_entry> wallet(const std::string& customer) const;
  saga_stats stats() const;

  // -- the folds (public for tests): one committed state or journaled event each --
  void on_order_state(const pb_message& state);
  void on_fulfillment_state(const std::string& id, const pb_message& state);
  void on_redemption_state(const std::string& id, const pb_message& state);
  void on_gateway_state(const std::string& id, const pb_message& state);

private:
  void put_saga(saga_row row);
  /// Start-up: folds each watched type's journals with its own apply (live_views_fold.cpp).
  caf::error fold_journals(node_runtime& node);

  mutable std::mutex mtx_;
  std::map<std::string, std::set<std::pair<int64_t, std::string>>> orders_by_customer_;
  std::map<std::string, order_row> orders_;  // order id -> its latest summary
  std::map<std::string, saga_row> sagas_;    // "type/id" -> row
  std::map<std::string, std::vector<redemption::wallet_entry>> wallets_;
  std::set<std::string> in_wallet_;  // redemption ids already in a wallet
  std::map<std::pair<std::string, std::string>, uint64_t> finished_;
  std::map<std::string, std::unique_ptr<atomic_histogram>> durations_;
  std::map<std::string, std::string> breakers_;  // gateway id -> breaker state name
  runtime_context* ctx_ = nullptr;
  std::vector<uint64_t> observers_;
};

}  // namespace sagaforge::http
