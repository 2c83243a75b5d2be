// /metrics: a prometheus-cpp registry holding the HTTP face's own families (requests by
// route template and status, request latency by route), and a collector that reads the
// runtime's relaxed-atomic counters, the commit pipeline's histograms, the directory, the
// live views' saga figures and /proc/self at scrape time, serialized together as Prometheus
// text format 0.0.4. Names, units and labels: docs/operations.md. No id is ever a label.
// Thread-safe.
#pragma once

#include <memory>
#include <string>

#include <prometheus/counter.h>
#include <prometheus/family.h>
#include <prometheus/histogram.h>
#include <prometheus/registry.h>

#include "runtime/cluster_view.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge::http {

class live_views;
class runtime_collector;

class face_metrics {
public:
  /// `cluster` (may point to an empty provider: no cluster families) must outlive this.
  face_metrics(node_runtime& node, const live_views* views, std::function<bool()> ready,
               const cluster_view_provider* cluster);
  ~face_metrics();

  void observe_request(const std::string& route, int status, double seconds);

  /// The whole exposition.
  std::string scrape() const;

private:
  std::shared_ptr<prometheus::Registry> registry_;
  prometheus::Family<prometheus::Counter>* requests_;
  prometheus::Family<prometheus::Histogram>* latency_;
  std::shared_ptr<runtime_collector> runtime_;
};

}  // namespace sagaforge::http
