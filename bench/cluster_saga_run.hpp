// cluster_saga_run: one configuration of the cluster saga benchmark — a cluster of M members
// brought up by cluster/local, the demo run by a client node, the members' (and the
// client's) /metrics read at each phase's first and last line, the cluster stopped — and the
// figures it yields. cluster_saga_bench.cpp runs two of these and compares them.
#pragma once

#include <cstdint>
#include <string>

#include "bench/cluster_metrics.hpp"
#include "bench/cluster_saga_bench.hpp"

namespace sagaforge::bench {

/// The data plane over a phase, every node together (NaN: not known).
struct plane_totals {
  double frames = 0, items = 0, bytes = 0, cpu_s = 0;
  bool bytes_estimated = false;  // the client's bytes scaled from an earlier reading
};

/// One demo phase (orders or redemptions) as the client printed it, and the data plane's
/// traffic from the phase's first line (before its restock or seeding) to its result line.
struct phase_figures {
  bool ran = false;       // the phase's header line was seen
  bool finished = false;  // its result lines were seen and parsed
  int64_t done = 0;       // orders finished / redemptions settled
  int64_t unsettled = 0;  // unfinished orders / unsettled redemptions
  int64_t rejected = 0;
  double seconds = 0;     // the demo's own measure: first send to last outcome
  double per_s = 0, p50_ms = 0, p99_ms = 0;
  plane_delta members;      // the members' counters, summed
  plane_delta client;       // the client's own counters
  bool members_ok = false;  // every member answered both scrapes
  bool client_read = false; // the client's counters were read at both ends...
  double client_lag_s = 0;  // ...but > 0: it had exited at the end, and its last reading
                            // (every 250 ms during the phase) is this much older
  double window_s = 0;      // wall time between the two scrapes
  std::string saga_type;    // the members' saga metrics' label: fulfillment, redemption

  /// Mean start-to-end duration of the sagas the members finished in the window, on their
  /// own clocks (ms; NaN if none): the sagas' own time, without the client's polling.
  double saga_mean_ms() const;
  double sagas_timed() const;

  /// What the client sent, from the members' side: frames (items) they received minus those
  /// they sent each other. Exact whether or not the client could be read at the end.
  double client_frames() const { return members.frames_received - members.frames_to_members; }
  double client_items() const { return members.items_received - members.items_to_members; }
  /// Members' traffic plus the client's (its bytes from its own counters).
  plane_totals total() const;
};

struct config_figures {
  int members = 0;
  phase_figures orders, redemptions;
  double loadavg_before = 0;
  double up_s = 0;         // `cluster/local up` wall time
  int client_exit = -1;    // the demo's exit code: 0 = every saga finished, invariants held
  std::string error;       // set when the configuration did not run to the end
};

/// Runs one configuration with `members` members on the given ports; never throws (an
/// error is returned in `error`), always stops what it started.
config_figures run_configuration(const cluster_saga_options& o, int members, int64_t port_base,
                                 int64_t etcd_port);

} // namespace sagaforge::bench
