// The order workload: the main job's and the benchmark's driver of the fulfillment domain.
// N orders (a mix of expected successes, out-of-stock and declined orders) of a few lines each
// over a SKU catalog, sent through a node's client endpoint either closed-loop (a fixed number
// of sagas in flight) or open-loop (an offered rate); each order's end-to-end latency runs from
// its send (open loop: its scheduled send time) to the moment its outcome is recorded by the
// notification entity. Afterwards it checks the invariants: stock conserved, nothing
// oversold, no reservation leaked, every order charged at most once and refunded iff
// cancelled, the gateway's ledger matching the payments' — for this run's orders, and again
// over everything the store holds (a run after a killed one re-verifies what that one left).
// Every wait has a deadline (timeout_s) and ends early when the store fails.
// Call from a non-actor thread (main, a benchmark); it blocks until done.
#pragma once

#include <cstdint>
#include <memory>
#include <string>
#include <vector>

#include "actors/fulfillment/fulfillment_config.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge::fulfillment {

struct order_workload_options {
  int64_t orders = 10000;
  int64_t skus = 1000;  // catalog size; the last skus/100 (at least 1) stay empty
  int64_t lines_per_order = 3;
  int64_t customers = 1000;
  int64_t concurrency = 512;          // closed loop: sagas in flight
  int64_t rate_per_s = 0;             // > 0: open loop at this offered rate instead
  int64_t out_of_stock_percent = 10;  // orders with a line of an empty SKU
  int64_t declined_percent = 10;      // orders paid with the declined card
  int64_t timeout_s = 300;            // stop waiting for outcomes after this
  int64_t settle_timeout_ms = 30000;  // wait for outboxes to drain before the checks
  bool check_invariants = true;
  bool print = true;   // progress and the report on stdout
  std::string run_id;  // order id prefix; "" = derived from the clock
  /// Read each order's outcome from the order entity (every 100 ms while it runs) instead of
  /// the notification tap: a cluster client runs no notification entity, they run on the
  /// nodes that own their shards. Latencies are then accurate to the poll interval.
  bool poll_outcomes = false;
  uint64_t seed = 42;
};

struct order_workload_result {
  int64_t orders = 0;
  int64_t confirmed = 0;
  int64_t cancelled_out_of_stock = 0;
  int64_t cancelled_declined = 0;
  int64_t cancelled_other = 0;
  int64_t rejected = 0;                        // the order was refused at creation
  int64_t request_errors = 0;                  // the client could not deliver the create
  int64_t unfinished = 0;                      // no outcome within timeout_s
  int64_t unexpected = 0;                      // outcome differs from what the order was built for
  std::vector<std::string> surprises;          // the first few of those: id, plan, outcome
  double seconds = 0;                          // first send to last outcome
  double sagas_per_s = 0;                      // finished sagas per second
  double p50_ms = 0, p99_ms = 0, p999_ms = 0;  // end-to-end latency
  double steps_per_saga = 0;                   // durable steps (all entities) per order
  uint64_t commits = 0;                        // group commits during the run
  bool invariants_checked = false;
  bool invariants_ok = true;
  bool stock_ok = true;     // conserved, never oversold, no reservation leaked
  bool payments_ok = true;  // charged at most once, refunded iff cancelled, ledgers
  int64_t store_orders_checked = 0;  // store-wide: every order the store holds
  int64_t store_skus_checked = 0;
  std::vector<std::string> violations;

  /// 0 when every order finished and every invariant held.
  int exit_code() const;
};

class order_workload {
public:
  order_workload(fulfillment_config cfg, order_workload_options opts);
  ~order_workload();

  /// The entity types to start the node with: the domain's, built from the config with the
  /// workload's catalog added, the notification type wrapped so the driver learns of each
  /// recorded outcome (no extra message or step).
  std::vector<entity_logic_ptr> entity_types();

  /// Restocks, drives the orders, waits for the outcomes, checks; prints when opts.print.
  order_workload_result run(node_runtime& node);

  const fulfillment_config& config() const { return cfg_; }

  /// Prints counts by outcome, throughput, latency and the invariants.
  static void print(const order_workload_result& r);

  struct impl;

private:
  fulfillment_config cfg_;
  order_workload_options opts_;
  std::unique_ptr<impl> impl_;
};

} // namespace sagaforge::fulfillment
