// Shared helpers of the fulfillment scenario suites (see fixture.hpp).
#include "tests/actors/fulfillment/fixture.hpp"

#include <algorithm>

#include "order_events.pb.h"
#include "runtime/log_keys.hpp"

namespace sagaforge::testing::ful {

fulfillment_config test_config() {
  fulfillment_config c;
  c.catalog = fulfillment::make_catalog(10);
  c.catalog.push_back("SKU-HOT");
  c.gateway_shards = 1;
  c.points_type = "";
  return c;
}

namespace {

/// "points/<customer>": the loyalty engineer's entity, stubbed: counts outcomes received.
entity_logic_ptr points_stub() {
  using state = notification::NotificationState;
  using event = notification::NotificationEvent;
  return std::make_shared<entity_definition<state, event>>(
    "points",
    [](const state&, const inbound& in, decide_context<event>& ctx) {
      order::OrderOutcome o;
      if (!in.parse(o))
        return;
      event ev;
      ev.mutable_notified()->set_order_id(o.order_id());
      ev.mutable_notified()->set_status(o.status());
      ctx.persist(ev);
    },
    [](state& s, const event& ev) {
      *s.add_sent() = ev.notified();
      s.set_total_sent(s.total_sent() + 1);
    });
}

} // namespace

std::vector<entity_logic_ptr> domain_types(const fulfillment_config& cfg, bool with_points) {
  auto c = cfg;
  if (with_points)
    c.points_type = "points";
  auto types = fulfillment::make_fulfillment_logics(c);
  if (with_points)
    types.push_back(points_stub());
  return types;
}

std::unique_ptr<test_node> make_node(store_ptr st, const fulfillment_config& cfg, bool with_points,
                                     int64_t start_ms) {
  return std::make_unique<test_node>(std::move(st), domain_types(cfg, with_points), test_settings(),
                                     start_ms);
}

order::CreateOrder create(const std::string& id, const std::string& customer,
                          const std::vector<line>& lines, const std::string& card,
                          const std::string& ship_to) {
  order::CreateOrder c;
  c.set_order_id(id);
  c.set_customer_id(customer);
  for (auto& l : lines) {
    auto* x = c.add_lines();
    x->set_sku(l.sku);
    x->set_quantity(l.quantity);
    x->set_unit_price_cents(l.price_cents);
  }
  c.set_card(card);
  c.set_ship_to(ship_to);
  return c;
}

uint64_t place(test_node& node, const order::CreateOrder& c) {
  return node.send(fulfillment::order_ref(c.order_id()), c);
}

void restock(test_node& node, const std::string& sku, int64_t quantity) {
  inventory::Restock r;
  r.set_quantity(quantity);
  node.send(fulfillment::inventory_ref(sku), r);
  node.run();
}

void pass_time(test_node& node, std::chrono::milliseconds total, std::chrono::milliseconds step) {
  for (auto t = std::chrono::milliseconds{0}; t < total; t += step)
    node.advance(step);
}

order::OrderState order_of(test_node& node, const std::string& id) {
  return node.state_of<order::OrderState>(fulfillment::order_ref(id));
}

SagaState saga_of(test_node& node, const std::string& id) {
  return node.state_of<SagaState>(fulfillment::saga_ref(id));
}

inventory::InventoryState stock_of(test_node& node, const std::string& sku) {
  return node.state_of<inventory::InventoryState>(fulfillment::inventory_ref(sku));
}

payment::PaymentState payment_of(test_node& node, const std::string& id) {
  return node.state_of<payment::PaymentState>(fulfillment::payment_ref(id));
}

payment::GatewayState gateway_of(test_node& node, int shard) {
  return node.state_of<payment::GatewayState>("gateway/g-" + std::to_string(shard));
}

shipment::ShipmentState shipment_of(test_node& node, const std::string& id) {
  return node.state_of<shipment::ShipmentState>(fulfillment::shipment_ref(id));
}

notification::NotificationState notes_of(test_node& node, const std::string& customer) {
  return node.state_of<notification::NotificationState>(fulfillment::notification_ref(customer));
}

bool conserved(const inventory::InventoryState& s) {
  return s.available() >= 0 && s.reserved() >= 0 && s.shipped() >= 0
         && s.available() + s.reserved() + s.shipped() == s.received();
}

namespace {

std::string saga_digest(const SagaState& s) {
  std::string out = SagaState::Status_Name(s.status()) + " '" + s.reason() + "'";
  for (auto& st : s.steps())
    out += " [" + st.name() + " " + SagaStep::Status_Name(st.status()) + " a"
           + std::to_string(st.attempts()) + " c" + std::to_string(st.compensation_attempts())
           + "]";
  // Stock commits run in parallel (different receivers): their order is not defined.
  std::vector<std::string> commits;
  for (auto& e : s.ledger()) {
    auto entry = " {" + e.kind() + " " + e.step() + "}";
    if (e.step().rfind("commit line", 0) == 0)
      commits.push_back(entry);
    else
      out += entry;
  }
  std::sort(commits.begin(), commits.end());
  for (auto& c : commits)
    out += c;
  out += " pending" + std::to_string(s.commits_pending_size());
  return out;
}

} // namespace

std::string digest(test_node& node, const std::vector<std::string>& orders,
                   const std::vector<std::string>& customers,
                   const std::vector<std::string>& skus) {
  std::string out;
  for (auto& id : orders) {
    auto o = order_of(node, id);
    out += "order " + id + ": " + o.status() + " '" + o.reason() + "' " + o.progress()
           + (o.cancel_requested() ? " cancel-requested" : "") + " '" + o.cancel_refused() + "'\n";
    out += "saga: " + saga_digest(saga_of(node, id)) + "\n";
    auto p = payment_of(node, id);
    p.clear_charged_ms();
    p.clear_refunded_ms();
    out += "payment: " + p.ShortDebugString() + "\n";
    auto sh = shipment_of(node, id);
    out += "shipment: " + sh.state() + " " + sh.tracking_id() + "\n";
  }
  for (auto& c : customers) {
    auto n = notes_of(node, c);
    for (auto& x : *n.mutable_sent())
      x.clear_at_ms();
    out += "notes " + c + ": " + n.ShortDebugString() + "\n";
  }
  for (auto& sku : skus)
    out += "stock " + sku + ": " + stock_of(node, sku).ShortDebugString() + "\n";
  auto g = gateway_of(node);
  g.mutable_breaker()->clear_open_until_ms();
  out += "gateway: " + g.ShortDebugString() + "\n";
  return out;
}

size_t log_records(store& st) {
  size_t n = 0;
  st.scan(table::log, {}, [&](std::string_view, std::string_view) {
    ++n;
    return true;
  });
  return n;
}

} // namespace sagaforge::testing::ful
