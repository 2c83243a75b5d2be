// Shared helpers of the fulfillment scenario suites: the test configuration (a small
// catalog, one gateway shard), a domain node on the deterministic test coordinator, order
// and restock commands, typed state reads, and a timestamp-free digest of a run's final
// state for "same final state" comparisons (duplicates, crashes).
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <vector>

#include "actors/fulfillment/fulfillment_config.hpp"
#include "fulfillment.pb.h"
#include "inventory.pb.h"
#include "notification.pb.h"
#include "order.pb.h"
#include "payment.pb.h"
#include "shipment.pb.h"
#include "tests/support/test_node.hpp"

namespace sagaforge::testing::ful {

using fulfillment::fulfillment_config;
using fulfillment::SagaState;
using fulfillment::SagaStep;

struct line {
  std::string sku;
  int64_t quantity;
  int64_t price_cents;
};

/// Catalog SKU-0000..SKU-0009 plus SKU-HOT; one gateway shard; points not published unless
/// `with_points` (then a stub points entity counts the outcomes it gets).
fulfillment_config test_config();

std::vector<entity_logic_ptr> domain_types(const fulfillment_config& cfg = test_config(),
                                           bool with_points = false);

std::unique_ptr<test_node> make_node(store_ptr st, const fulfillment_config& cfg = test_config(),
                                     bool with_points = false, int64_t start_ms = 1'000'000'000);

order::CreateOrder create(const std::string& id, const std::string& customer,
                          const std::vector<line>& lines, const std::string& card = "",
                          const std::string& ship_to = "");

/// Sends a create from client/test; returns its seq (see test_node::ack_for).
uint64_t place(test_node& node, const order::CreateOrder& c);

void restock(test_node& node, const std::string& sku, int64_t quantity);

/// The base of the scenario suites' fixtures: one node with the domain's types on a memory
/// store that outlives it.
struct node_fixture {
  std::shared_ptr<memory_store> st = std::make_shared<memory_store>();
  std::unique_ptr<test_node> node = make_node(st);
};

/// Advances the clock in `step` slices (timers armed meanwhile become due in turn).
void pass_time(test_node& node, std::chrono::milliseconds total,
               std::chrono::milliseconds step = std::chrono::milliseconds{100});

template <class T>
T reply_as(const Ack& a) {
  T out;
  out.ParseFromString(a.reply_payload());
  return out;
}

order::OrderState order_of(test_node& node, const std::string& id);
SagaState saga_of(test_node& node, const std::string& id);
inventory::InventoryState stock_of(test_node& node, const std::string& sku);
payment::PaymentState payment_of(test_node& node, const std::string& id);
payment::GatewayState gateway_of(test_node& node, int shard = 0);
shipment::ShipmentState shipment_of(test_node& node, const std::string& id);
notification::NotificationState notes_of(test_node& node, const std::string& customer);

/// Whether stock of `sku` satisfies received = available + reserved + shipped, none negative.
bool conserved(const inventory::InventoryState& s);

/// Everything the domain holds about `orders` (and their customers) and `skus`, without
/// timestamps: equal digests mean the same final state.
std::string digest(test_node& node, const std::vector<std::string>& orders,
                   const std::vector<std::string>& customers, const std::vector<std::string>& skus);

/// Counts log records in the store (crash points are record boundaries).
size_t log_records(store& st);

} // namespace sagaforge::testing::ful
