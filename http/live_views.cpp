// Live read models (see live_views.hpp).
#include "http/live_views.hpp"

#include <cassert>

#include "actors/redemption/redemption.hpp"
#include "fulfillment.pb.h"
#include "order.pb.h"
#include "payment.pb.h"
#include "redemption.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::http {

namespace {

bool terminal(const std::string& status) {
  return status == "COMPLETED" || status == "COMPENSATED" || status == "COMPENSATION_FAILED"
         || status == "COMPENSATED_WITH_SKIPS" || status == "FAILED";
}

bool terminal_order(const std::string& status) {
  return status == "CONFIRMED" || status == "CANCELLED";
}

std::vector<double> saga_buckets() {
  return atomic_histogram::exponential(0.005, 2, 20);  // 5 ms ... ~44 min
}

}  // namespace

live_views::live_views() = default;

live_views::~live_views() {
  assert(ctx_ == nullptr);  // observers would outlive the views
}

void live_views::on_order_state(const pb_message& state) {
  auto& s = static_cast<const order::OrderState&>(state);
  if (s.status().empty())
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  auto [it, fresh] = orders_.try_emplace(s.order_id());
  if (fresh)
    orders_by_customer_[s.customer_id()].emplace(s.created_ms(), s.order_id());
  else if (terminal_order(it->second.status) && !terminal_order(s.status()))
    return;  // an older state folded after a newer one
  it->second = order_row{s.order_id(),    s.customer_id(), s.status(),
                         s.total_cents(), s.created_ms(),  s.finished_ms()};
}

void live_views::on_fulfillment_state(const std::string& id, const pb_message& state) {
  auto& s = static_cast<const fulfillment::SagaState&>(state);
  if (!s.started())
    return;
  saga_row row{
    "fulfillment",  id, fulfillment::SagaState::Status_Name(s.status()), {}, s.started_ms(),
    s.finished_ms()};
  if (s.current() >= 0 && s.current() < s.steps_size())
    row.step = s.steps(s.current()).name();
  put_saga(std::move(row));
}

void live_views::on_redemption_state(const std::string& id, const pb_message& state) {
  auto& s = static_cast<const redemption::RedemptionState&>(state);
  if (s.status() == redemption::NEW)
    return;
  auto status = redemption::Status_Name(s.status());
  put_saga(saga_row{
    "redemption", id, status, {}, s.started_at_ms(), terminal(status) ? s.finished_at_ms() : 0});
  if (s.status() != redemption::COMPLETED)
    return;
  std::lock_guard<std::mutex> guard{mtx_};
  if (in_wallet_.insert(id).second)
    wallets_[s.customer_id()].push_back(redemption::wallet_entry{
      id, s.reward_id(), s.reward_name(), s.expected_cost(), s.finished_at_ms()});
}

void live_views::on_gateway_state(const std::string& id, const pb_message& state) {
  auto& s = static_cast<const payment::GatewayState&>(state);
  std::lock_guard<std::mutex> guard{mtx_};
  breakers_[id] = payment::Breaker_Name(s.breaker().state());
}

void live_views::put_saga(saga_row row) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& held = sagas_[row.type + "/" + row.id];
  bool was_terminal = terminal(held.status);
  if (was_terminal && !terminal(row.status))
    return;  // an older state folded after a newer one (start-up fold vs live commits)
  if (!was_terminal && terminal(row.status)) {
    ++finished_[{row.type, row.status}];
    auto& h = durations_[row.type];
    if (!h)
      h = std::make_unique<atomic_histogram>(saga_buckets());
    if (row.finished_ms >= row.started_ms && row.started_ms > 0)
      h->observe(static_cast<double>(row.finished_ms - row.started_ms) / 1000.0);
  }
  held = std::move(row);
}

caf::error live_views::attach(node_runtime& node) {
  assert(ctx_ == nullptr);
  ctx_ = &node.context();
  observers_.push_back(
    ctx_->observe("order", [this](const std::string&, const pb_message& s) { on_order_state(s); }));
  observers_.push_back(
    ctx_->observe("fulfillment", [this](const std::string& ref, const pb_message& s) {
      on_fulfillment_state(std::string{ref_id(ref)}, s);
    }));
  observers_.push_back(
    ctx_->observe("redemption", [this](const std::string& ref, const pb_message& s) {
      on_redemption_state(std::string{ref_id(ref)}, s);
    }));
  observers_.push_back(
    ctx_->observe("gateway", [this](const std::string& ref, const pb_message& s) {
      on_gateway_state(std::string{ref_id(ref)}, s);
    }));
  return fold_journals(node);
}

void live_views::detach() {
  if (!ctx_)
    return;
  for (auto id : observers_)
    ctx_->unobserve(id);
  observers_.clear();
  ctx_ = nullptr;
}

}  // namespace sagaforge::http
