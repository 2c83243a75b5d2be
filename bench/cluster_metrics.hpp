// cluster_metrics: the data-plane counters of one node, read from its /metrics (Prometheus
// text), and their difference over a window. The figures the cluster benchmark reports —
// frames/s, items (envelopes, acks) per frame, bytes per item, and the members' mean saga
// duration — are ratios of these sums; docs/operations.md lists the families.
#pragma once

#include <cstdint>
#include <map>
#include <optional>
#include <set>
#include <string>

namespace sagaforge::bench {

/// One node's counters at one moment.
struct plane_counters {
  // By peer (node id): sagaforge_cluster_peer_{frames,items,bytes}_sent_total{peer}.
  std::map<std::string, double> frames_sent, items_sent, bytes_sent;
  double frames_received = 0;  // sagaforge_cluster_frames_received_total
  double items_received = 0;   // sagaforge_cluster_items_received_total
  double cpu_s = 0;            // process_cpu_seconds_total
  // By saga type: sagaforge_saga_duration_seconds_{sum,count}{saga}, the sagas this node
  // ran from start to a terminal status (its own clock: no client, no polling in it).
  std::map<std::string, double> saga_seconds, sagas_timed;
};

/// Parses the families above out of a Prometheus text exposition; others are ignored.
plane_counters parse_plane_metrics(const std::string& text);

/// GET http://127.0.0.1:port/metrics (2 s timeouts); nullopt when the node does not answer.
std::optional<plane_counters> scrape_plane(uint16_t port);

/// Traffic over a window, summed over the nodes added to it.
struct plane_delta {
  double frames = 0, items = 0, bytes = 0;  // sent, to any peer
  double frames_to_members = 0, items_to_members = 0;  // sent to the peers named members
  double frames_received = 0, items_received = 0;
  double cpu_s = 0;
  std::map<std::string, double> saga_seconds, sagas_timed;  // by saga type
  /// A peer's series shrank or vanished between the samples (a link re-created, or the
  /// peer gone before the second scrape): its traffic is missing from the sums.
  bool series_lost = false;

  /// Adds after - before of one node; `members` names the peers counted in *_to_members.
  void add(const plane_counters& before, const plane_counters& after,
           const std::set<std::string>& members);
};

} // namespace sagaforge::bench
