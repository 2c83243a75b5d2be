// The runtime's metric families, read at scrape time (face_metrics.hpp says why): counters
// from runtime_counters and commit_stats, gauges from the directory and the pipeline,
// histograms from atomic_histogram readings, saga figures from live_views, process figures
// from /proc/self, cluster figures (members, shards, per-peer links and backlog) from the
// cluster_view when the node is in a cluster. Collect runs on the HTTP worker serving
// /metrics.
#pragma once

#include <functional>
#include <vector>

#include <prometheus/collectable.h>
#include <prometheus/metric_family.h>

#include "runtime/cluster_view.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge::http {

class live_views;

class runtime_collector : public prometheus::Collectable {
public:
  runtime_collector(node_runtime& node, const live_views* views, std::function<bool()> ready,
                    const cluster_view_provider* cluster = nullptr);
  std::vector<prometheus::MetricFamily> Collect() const override;

private:
  void collect_runtime(std::vector<prometheus::MetricFamily>& out) const;
  void collect_sagas(std::vector<prometheus::MetricFamily>& out) const;
  void collect_process(std::vector<prometheus::MetricFamily>& out) const;
  void collect_cluster(std::vector<prometheus::MetricFamily>& out) const;

  node_runtime& node_;
  const live_views* views_;
  std::function<bool()> ready_;
  const cluster_view_provider* cluster_;
  double start_time_s_;
};

}  // namespace sagaforge::http
