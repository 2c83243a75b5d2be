// Scenario 10: 1,000 concurrent orders for the 100 units of one SKU. Exactly 100 units are
// sold, never more; every other order is CANCELLED out of stock; stock is conserved and
// nothing stays reserved; each confirmed order is charged once, no cancelled one at all.
#define CAF_SUITE fulfillment.contention
#include "caf/test/dsl.hpp"

#include "tests/actors/fulfillment/fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

CAF_TEST(1000 orders for 100 units sell exactly 100) {
  auto st = std::make_shared<memory_store>();
  auto node = make_node(st);
  restock(*node, "SKU-HOT", 100);
  constexpr int orders = 1000;
  for (int i = 0; i < orders; ++i)
    place(*node, create("ORD-" + std::to_string(i), "CUST-" + std::to_string(i % 37),
                        {{"SKU-HOT", 1, 500}}));
  node->run();  // all 1000 sagas compete at once
  auto s = stock_of(*node, "SKU-HOT");
  CAF_CHECK(conserved(s));
  CAF_CHECK_EQUAL(s.received(), 100);
  CAF_CHECK_EQUAL(s.shipped(), 100);
  CAF_CHECK_EQUAL(s.available(), 0);
  CAF_CHECK_EQUAL(s.reserved(), 0);
  int confirmed = 0, out_of_stock = 0, other = 0;
  int64_t charged = 0;
  for (int i = 0; i < orders; ++i) {
    auto id = "ORD-" + std::to_string(i);
    auto o = order_of(*node, id);
    auto p = payment_of(*node, id);
    CAF_CHECK_LESS_OR_EQUAL(p.charges(), 1u);
    if (o.status() == "CONFIRMED") {
      ++confirmed;
      charged += p.charged_cents();
    } else if (o.status() == "CANCELLED" && o.reason().find("out of stock") != std::string::npos) {
      ++out_of_stock;
      CAF_CHECK_EQUAL(p.charges(), 0u);
    } else {
      ++other;
    }
  }
  CAF_CHECK_EQUAL(confirmed, 100);
  CAF_CHECK_EQUAL(out_of_stock, 900);
  CAF_CHECK_EQUAL(other, 0);
  CAF_CHECK_EQUAL(charged, 100 * 500);
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.captured_cents(), 100 * 500);
  // Every customer heard about each of their orders exactly once.
  uint64_t notes = 0;
  for (int c = 0; c < 37; ++c)
    notes += notes_of(*node, "CUST-" + std::to_string(c)).total_sent();
  CAF_CHECK_EQUAL(notes, static_cast<uint64_t>(orders));
}
