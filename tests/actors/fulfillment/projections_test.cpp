// Read models rebuilt from the journals (order summary by id, orders by customer, sagas by
// status) and the domain metrics, after a crash too: they come from the store, not memory.
#define CAF_SUITE fulfillment.projections
#include "caf/test/dsl.hpp"

#include "actors/fulfillment/projections.hpp"
#include "tests/actors/fulfillment/fixture.hpp"

using namespace std::chrono_literals;
using namespace sagaforge;
using namespace sagaforge::fulfillment;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

/// Two confirmed, one declined, one out of stock, one waiting for a gateway retry.
void run_orders(test_node& node) {
  restock(node, "SKU-0000", 10);
  place(node, create("ORD-1", "CUST-A", {{"SKU-0000", 1, 100}}));
  place(node, create("ORD-2", "CUST-A", {{"SKU-0000", 2, 100}}));
  place(node, create("ORD-3", "CUST-B", {{"SKU-0000", 1, 100}}, "declined"));
  place(node, create("ORD-4", "CUST-B", {{"SKU-0001", 1, 100}}));
  place(node, create("ORD-5", "CUST-C", {{"SKU-0000", 1, 100}}, "timeout:9"));
  node.run();
}

} // namespace

CAF_TEST(read models are rebuilt from the journals) {
  auto st = std::make_shared<memory_store>();
  int64_t clock = 0;
  {
    auto node = make_node(st);
    run_orders(*node);
    clock = node->now_ms();
  }
  auto node = make_node(st, test_config(), false, clock + 10);  // after a crash
  auto model = rebuild_read_model(node->runtime());
  CAF_REQUIRE(model);
  CAF_CHECK_EQUAL(model->order_count(), 5u);
  auto* o1 = model->order("ORD-1");
  CAF_REQUIRE(o1 != nullptr);
  CAF_CHECK_EQUAL(o1->status, "CONFIRMED");
  CAF_CHECK_EQUAL(o1->customer_id, "CUST-A");
  CAF_CHECK_EQUAL(o1->total_cents, 100);
  auto* o4 = model->order("ORD-4");
  CAF_REQUIRE(o4 != nullptr);
  CAF_CHECK_EQUAL(o4->status, "CANCELLED");
  CAF_CHECK_EQUAL(o4->reason, "out of stock: SKU-0001 has 0 available, 1 requested");
  auto* o5 = model->order("ORD-5");
  CAF_REQUIRE(o5 != nullptr);
  CAF_CHECK_EQUAL(o5->status, "PENDING");
  CAF_CHECK_EQUAL(o5->progress, "RESERVED");
  CAF_CHECK(model->order("ORD-9") == nullptr);
  CAF_CHECK_EQUAL(model->orders_of("CUST-A"), (std::vector<std::string>{"ORD-1", "ORD-2"}));
  CAF_CHECK_EQUAL(model->orders_of("CUST-B"), (std::vector<std::string>{"ORD-3", "ORD-4"}));
  CAF_CHECK(model->orders_of("CUST-Z").empty());
  CAF_CHECK_EQUAL(model->sagas_with("COMPLETED"), (std::vector<std::string>{"ORD-1", "ORD-2"}));
  CAF_CHECK_EQUAL(model->sagas_with("COMPENSATED"), (std::vector<std::string>{"ORD-3", "ORD-4"}));
  CAF_CHECK_EQUAL(model->sagas_with("RUNNING"), (std::vector<std::string>{"ORD-5"}));
}

CAF_TEST(metrics count sagas and their durations) {
  auto st = std::make_shared<memory_store>();
  auto node = make_node(st);
  run_orders(*node);
  pass_time(*node, 60s);  // ORD-5 exhausts its retries and compensates
  auto model = rebuild_read_model(node->runtime());
  CAF_REQUIRE(model);
  auto m = fulfillment_metrics(*model, node->runtime().context().counters());
  CAF_CHECK_EQUAL(m.started, 5u);
  CAF_CHECK_EQUAL(m.completed, 2u);
  CAF_CHECK_EQUAL(m.compensated, 3u);
  CAF_CHECK_EQUAL(m.failed, 0u);
  CAF_CHECK_EQUAL(m.running, 0u);
  CAF_CHECK_EQUAL(m.compensation_rate, 0.6);
  CAF_CHECK_EQUAL(m.duration.count, 5u);
  CAF_CHECK_EQUAL(m.duration.quantile_bound_ms(0.5), 1);       // four finish within the same ms
  CAF_CHECK_GREATER(m.duration.quantile_bound_ms(1.0), 5000);  // ORD-5 took its retries
  CAF_CHECK_EQUAL(m.outbox_backlog, node->runtime().context().counters().outbox_entries.load());
}
