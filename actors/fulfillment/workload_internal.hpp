// Internals of the order workload (order_workload.cpp drives; workload_plan.cpp builds the
// orders and reads baselines; workload_check.cpp checks the invariants and prints).
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <vector>

#include "actors/fulfillment/order_workload.hpp"
#include "inventory.pb.h"
#include "order.pb.h"

namespace sagaforge::fulfillment::workload {

using clock_type = std::chrono::steady_clock;

enum class expect { success, out_of_stock, declined };

struct planned_order {
  order::CreateOrder create;
  expect kind = expect::success;
  clock_type::time_point start;  // send time (open loop: scheduled send time)
  bool finished = false;
  std::string status;  // CONFIRMED | CANCELLED | REJECTED | ERROR
  std::string reason;
  double latency_ms = 0;
};

struct catalog_split {
  std::vector<std::string> stocked;  // restocked with the run's demand
  std::vector<std::string> empty;    // never restocked: out-of-stock lines (sorted)
};

struct baseline {
  std::map<std::string, inventory::InventoryState> stock;
  int64_t gateway_net_cents = 0;  // captured - voided - refunded, all gateway shards
};

catalog_split split_catalog(int64_t skus);

std::vector<planned_order> make_plan(const order_workload_options& opts, const catalog_split& cat,
                                     const std::string& run_id, const fulfillment_config& cfg);

/// Restocks each stocked SKU with the plan's demand for it; false when a restock failed, the
/// store failed or the deadline passed.
bool restock(node_runtime& node, const std::vector<planned_order>& plan, const catalog_split& cat,
             clock_type::time_point deadline);

baseline read_baseline(node_runtime& node, const catalog_split& cat, const fulfillment_config& cfg);

/// Waits until no outbox holds anything (or the timeout passes); false on timeout.
bool settle(node_runtime& node, int64_t timeout_ms);

/// Waits until every fulfillment saga the store holds is terminal; false (and says why,
/// naming `when`) at the deadline or when the store fails (workload_store_check.cpp).
bool wait_sagas_terminal(node_runtime& node, clock_type::time_point deadline, const char* when);

/// The store-wide invariants over every order, payment and SKU the node knows (same file).
void check_store(node_runtime& node, const fulfillment_config& cfg, order_workload_result& out);

void check_invariants(node_runtime& node, const fulfillment_config& cfg,
                      const std::vector<planned_order>& plan, const catalog_split& cat,
                      const baseline& before, order_workload_result& out);

/// Fills counts by outcome and the latency quantiles from the finished plan.
void summarize(const std::vector<planned_order>& plan, order_workload_result& out);

} // namespace sagaforge::fulfillment::workload
