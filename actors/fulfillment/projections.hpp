// Read models of the fulfillment domain, rebuilt from the journals (node_runtime::
// for_each_event over "order" and "fulfillment" events): order summary by id, orders by
// customer, sagas by status; and the domain's metrics as a plain C++ API (sagas started,
// completed, compensated, failed, saga duration histogram, compensation rate, outbox backlog
// from the runtime's counters). Not thread-safe: build one, then read it from one thread.
#pragma once

#include <cstdint>
#include <map>
#include <string>
#include <unordered_map>
#include <vector>

#include "caf/expected.hpp"

#include "runtime/node_runtime.hpp"

namespace sagaforge::fulfillment {

struct order_summary {
  std::string order_id;
  std::string customer_id;
  std::string status;  // PENDING | CONFIRMED | CANCELLED
  std::string progress;
  std::string reason;
  int64_t total_cents = 0;
  int64_t lines = 0;
  int64_t created_ms = 0;
  int64_t finished_ms = 0;
};

struct saga_summary {
  std::string order_id;
  std::string status;  // RUNNING | COMPENSATING | COMPLETED | COMPENSATED | COMPENSATION_FAILED
                       // | COMPENSATED_WITH_SKIPS
  std::string reason;
  int64_t started_ms = 0;
  int64_t finished_ms = 0;
};

/// Saga durations in ms; bucket i counts durations <= bounds_ms[i], the last one the rest.
struct duration_histogram {
  std::vector<int64_t> bounds_ms{1,   2,    5,    10,   20,    50,    100,  200,
                                 500, 1000, 2000, 5000, 10000, 30000, 60000};
  std::vector<uint64_t> counts = std::vector<uint64_t>(16, 0);
  uint64_t count = 0;
  int64_t sum_ms = 0;

  void add(int64_t ms);
  /// Upper bound of the bucket holding quantile q (0 < q <= 1); -1 when empty.
  int64_t quantile_bound_ms(double q) const;
};

struct saga_metrics {
  uint64_t started = 0;
  uint64_t completed = 0;
  uint64_t compensated = 0;
  uint64_t failed = 0;           // parked in COMPENSATION_FAILED
  uint64_t running = 0;          // RUNNING or COMPENSATING
  double compensation_rate = 0;  // compensated / (completed + compensated + failed)
  duration_histogram duration;   // of finished sagas
  uint64_t outbox_backlog = 0;   // unacknowledged outgoing messages, all entities
};

class fulfillment_read_model {
public:
  /// Folds one journaled event of an order / a saga into the model (for_each_event's order).
  void on_order_event(const std::string& ref, const std::string& bytes);
  void on_saga_event(const std::string& ref, const std::string& bytes);

  const order_summary* order(const std::string& order_id) const;
  /// Ordered by creation time, then id.
  std::vector<std::string> orders_of(const std::string& customer_id) const;
  std::vector<std::string> sagas_with(const std::string& status) const;
  size_t order_count() const { return orders_.size(); }
  size_t saga_count() const { return sagas_.size(); }

  /// The saga counters and histogram; outbox_backlog is left for fulfillment_metrics.
  saga_metrics metrics() const;

private:
  std::unordered_map<std::string, order_summary> orders_;
  std::map<std::string, std::vector<std::string>> by_customer_;
  std::unordered_map<std::string, saga_summary> sagas_;
};

/// Scans the node's journals; fails on a corrupt record.
caf::expected<fulfillment_read_model> rebuild_read_model(node_runtime& node);

/// The read model's saga metrics plus the runtime's outbox backlog.
saga_metrics fulfillment_metrics(const fulfillment_read_model& model, runtime_counters& counters);

} // namespace sagaforge::fulfillment
