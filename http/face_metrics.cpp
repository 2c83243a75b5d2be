// The HTTP face's families and the scrape (see face_metrics.hpp); the runtime's families
// are built in runtime_collector.cpp.
#include "http/face_metrics.hpp"

#include <prometheus/text_serializer.h>

#include "http/runtime_collector.hpp"

namespace sagaforge::http {

face_metrics::face_metrics(node_runtime& node, const live_views* views, std::function<bool()> ready,
                           const cluster_view_provider* cluster)
  : registry_(std::make_shared<prometheus::Registry>()),
    runtime_(std::make_shared<runtime_collector>(node, views, std::move(ready), cluster)) {
  requests_ = &prometheus::BuildCounter()
                 .Name("sagaforge_http_requests_total")
                 .Help("HTTP requests answered, by route template and status code")
                 .Register(*registry_);
  latency_ = &prometheus::BuildHistogram()
                .Name("sagaforge_http_request_duration_seconds")
                .Help("Time from routing a request to its answer, by route template")
                .Register(*registry_);
}

face_metrics::~face_metrics() = default;

void face_metrics::observe_request(const std::string& route, int status, double seconds) {
  requests_->Add({{"route", route}, {"code", std::to_string(status)}}).Increment();
  static const prometheus::Histogram::BucketBoundaries bounds{
    0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60};
  latency_->Add({{"route", route}}, bounds).Observe(seconds);
}

std::string face_metrics::scrape() const {
  auto families = registry_->Collect();
  auto more = runtime_->Collect();
  families.insert(families.end(), std::make_move_iterator(more.begin()),
                  std::make_move_iterator(more.end()));
  return prometheus::TextSerializer{}.Serialize(families);
}

}  // namespace sagaforge::http
