// demo_lines: what the node's demo (`sagaforge-node --node.demo`) prints, read back. The
// formats are those of order_workload::print (actors/fulfillment/workload_check.cpp),
// print_workload_result (actors/redemption/redemption_workload_check.cpp), cluster/node/
// main.cpp's phase headers and the HTTP face's start log line; a change there shows up here
// as a phase without figures, which the cluster benchmark reports as an error.
#pragma once

#include <cstdint>
#include <optional>
#include <string>

namespace sagaforge::bench {

enum class demo_line_kind {
  other,
  http_port,          // "... http: listening on 127.0.0.1:PORT" (the node's log)
  order_phase,        // "order demo: N orders ..." (before restocking)
  order_counts,       // "orders: N finished in X s: ..."
  order_rates,        // "orders: X sagas/s, latency p50 A ms, p99 B ms, ..."
  redemption_phase,   // "loyalty demo: N redemptions" (before seeding)
  redemption_counts,  // "redemptions (run ID): N issued, R rejected, U unsettled"
  redemption_rates,   // "redemptions: X s, Y redemptions/s, latency p50 A ms, p99 B ms, ..."
};

struct demo_line {
  demo_line_kind kind = demo_line_kind::other;
  int64_t count = 0, rejected = 0, unsettled = 0;  // *_counts (finished or issued)
  double seconds = 0, per_s = 0, p50_ms = 0, p99_ms = 0;
  uint16_t port = 0;  // http_port
};

demo_line parse_demo_line(const std::string& line);

} // namespace sagaforge::bench
