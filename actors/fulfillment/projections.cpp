// Read models and metrics of the fulfillment domain (see projections.hpp).
#include "actors/fulfillment/projections.hpp"

#include <algorithm>

#include "fulfillment.pb.h"
#include "order.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::fulfillment {

void duration_histogram::add(int64_t ms) {
  size_t i = 0;
  while (i < bounds_ms.size() && ms > bounds_ms[i])
    ++i;
  if (counts.size() < bounds_ms.size() + 1)
    counts.resize(bounds_ms.size() + 1, 0);
  ++counts[i];
  ++count;
  sum_ms += ms;
}

int64_t duration_histogram::quantile_bound_ms(double q) const {
  if (count == 0)
    return -1;
  auto rank = static_cast<uint64_t>(q * static_cast<double>(count) + 0.999999);
  uint64_t seen = 0;
  for (size_t i = 0; i < counts.size(); ++i) {
    seen += counts[i];
    if (seen >= rank)
      return i < bounds_ms.size() ? bounds_ms[i] : INT64_MAX;
  }
  return INT64_MAX;
}

void fulfillment_read_model::on_order_event(const std::string& ref, const std::string& bytes) {
  order::OrderEvent ev;
  if (!ev.ParseFromString(bytes))
    return;
  std::string id{ref_id(ref)};
  auto& o = orders_[id];
  switch (ev.kind_case()) {
    case order::OrderEvent::kCreated:
      o.order_id = id;
      o.customer_id = ev.created().customer_id();
      o.status = "PENDING";
      o.total_cents = ev.created().total_cents();
      o.lines = ev.created().lines_size();
      o.created_ms = ev.created().at_ms();
      by_customer_[o.customer_id].push_back(id);
      break;
    case order::OrderEvent::kProgress:
      o.progress = ev.progress().step();
      break;
    case order::OrderEvent::kConfirmed:
      o.status = o.progress = "CONFIRMED";
      o.finished_ms = ev.confirmed().at_ms();
      break;
    case order::OrderEvent::kCancelled:
      o.status = o.progress = "CANCELLED";
      o.reason = ev.cancelled().reason();
      o.finished_ms = ev.cancelled().at_ms();
      break;
    default:
      break;
  }
}

void fulfillment_read_model::on_saga_event(const std::string& ref, const std::string& bytes) {
  SagaEvent ev;
  if (!ev.ParseFromString(bytes))
    return;
  std::string id{ref_id(ref)};
  auto& s = sagas_[id];
  switch (ev.kind_case()) {
    case SagaEvent::kStarted:
      s.order_id = id;
      s.status = "RUNNING";
      s.started_ms = ev.started().at_ms();
      break;
    case SagaEvent::kCompensationStarted:
      s.status = "COMPENSATING";
      s.reason = ev.compensation_started().reason();
      break;
    case SagaEvent::kFinished:
      s.status = SagaState::Status_Name(ev.finished().status());
      s.finished_ms = ev.finished().at_ms();
      if (!ev.finished().reason().empty())
        s.reason = ev.finished().reason();
      break;
    case SagaEvent::kOperatorActed:  // a retry or skip re-opens a parked saga
      if (ev.operator_acted().action() != OperatorActed::COMPENSATE
          && s.status == "COMPENSATION_FAILED") {
        s.status = "COMPENSATING";
        s.finished_ms = 0;
      }
      break;
    default:
      break;
  }
}

const order_summary* fulfillment_read_model::order(const std::string& order_id) const {
  auto i = orders_.find(order_id);
  return i == orders_.end() || i->second.status.empty() ? nullptr : &i->second;
}

std::vector<std::string> fulfillment_read_model::orders_of(const std::string& customer_id) const {
  auto i = by_customer_.find(customer_id);
  if (i == by_customer_.end())
    return {};
  auto out = i->second;  // the journal scan goes shard by shard: order by creation here
  auto created = [this](const std::string& id) { return orders_.at(id).created_ms; };
  std::sort(out.begin(), out.end(), [&](const std::string& a, const std::string& b) {
    return std::make_pair(created(a), a) < std::make_pair(created(b), b);
  });
  return out;
}

std::vector<std::string> fulfillment_read_model::sagas_with(const std::string& status) const {
  std::vector<std::string> out;
  for (auto& [id, s] : sagas_)
    if (s.status == status)
      out.push_back(id);
  std::sort(out.begin(), out.end());
  return out;
}

saga_metrics fulfillment_read_model::metrics() const {
  saga_metrics m;
  for (auto& [id, s] : sagas_) {
    if (s.status.empty())
      continue;
    ++m.started;
    if (s.status == "COMPLETED")
      ++m.completed;
    else if (s.status == "COMPENSATED" || s.status == "COMPENSATED_WITH_SKIPS")
      ++m.compensated;
    else if (s.status == "COMPENSATION_FAILED")
      ++m.failed;
    else
      ++m.running;
    if (s.finished_ms > 0)
      m.duration.add(s.finished_ms - s.started_ms);
  }
  auto finished = m.completed + m.compensated + m.failed;
  m.compensation_rate =
    finished == 0 ? 0.0 : static_cast<double>(m.compensated) / static_cast<double>(finished);
  return m;
}

caf::expected<fulfillment_read_model> rebuild_read_model(node_runtime& node) {
  fulfillment_read_model model;
  auto err = node.for_each_event(
    "order", [&](const std::string& ref, uint64_t, const std::string& bytes, int64_t) {
      model.on_order_event(ref, bytes);
      return true;
    });
  if (err)
    return err;
  err = node.for_each_event(
    "fulfillment", [&](const std::string& ref, uint64_t, const std::string& bytes, int64_t) {
      model.on_saga_event(ref, bytes);
      return true;
    });
  if (err)
    return err;
  return model;
}

saga_metrics fulfillment_metrics(const fulfillment_read_model& model, runtime_counters& counters) {
  auto m = model.metrics();
  m.outbox_backlog = counters.outbox_entries.load(std::memory_order_relaxed);
  return m;
}

} // namespace sagaforge::fulfillment
