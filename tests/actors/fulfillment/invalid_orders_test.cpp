// Scenario 11: invalid orders are rejected with a clear reason and nothing is stored: no
// order event, no saga, no reservation. Covers 0 and 51 lines, quantity 0 and 101, more than
// 100 items in total, a negative or zero price, bad ids (order, customer, SKU, and a ref the
// runtime refuses), an unknown SKU, and an id that does not match the ref.
#define CAF_SUITE fulfillment.invalid_orders
#include "caf/test/dsl.hpp"

#include "runtime/entity_ref.hpp"
#include "tests/actors/fulfillment/fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

struct fixture : node_fixture {
  /// Sends `c` to order/<ref_id>; checks the rejection names `why` and nothing was stored.
  void expect_rejected(const order::CreateOrder& c, const std::string& why,
                       const std::string& ref_id = "") {
    auto id = ref_id.empty() ? c.order_id() : ref_id;
    auto seq = node->send("order/" + id, c);
    node->run();
    auto* ack = node->ack_for("order/" + id, seq);
    CAF_REQUIRE(ack != nullptr);
    CAF_CHECK_NOT_EQUAL(ack->reply_error().find(why), std::string::npos);
    if (ack->reply_error().find(why) == std::string::npos)
      CAF_MESSAGE("got: " << ack->reply_error());
    CAF_CHECK_EQUAL(ack->reply_error().rfind("invalid order: ", 0), 0u);
    CAF_CHECK_EQUAL(node->report("order/" + id).event_seq(), 0u);
    CAF_CHECK_EQUAL(node->report("fulfillment/" + id).event_seq(), 0u);
  }

  static std::vector<line> lines(int n, int64_t quantity = 1) {
    return std::vector<line>(static_cast<size_t>(n), line{"SKU-0000", quantity, 100});
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(invalid_orders, fixture)

CAF_TEST(line counts outside 1 to 50 are rejected) {
  expect_rejected(create("ORD-0", "CUST-1", {}), "an order needs 1..50 lines, got 0");
  expect_rejected(create("ORD-51", "CUST-1", lines(51)), "an order needs 1..50 lines, got 51");
  // 50 lines of one item each is fine.
  restock(*node, "SKU-0000", 100);
  auto seq = place(*node, create("ORD-50", "CUST-1", lines(50)));
  node->run();
  CAF_CHECK_EQUAL(node->ack_for("order/ORD-50", seq)->reply_error(), "");
}

CAF_TEST(quantities outside 1 to 100 and totals over 100 are rejected) {
  expect_rejected(create("ORD-Q0", "CUST-1", {{"SKU-0000", 0, 100}}),
                  "line 1: quantity 0 is outside 1..100");
  expect_rejected(create("ORD-Q101", "CUST-1", {{"SKU-0001", 1, 100}, {"SKU-0000", 101, 100}}),
                  "line 2: quantity 101 is outside 1..100");
  expect_rejected(create("ORD-QN", "CUST-1", {{"SKU-0000", -5, 100}}), "quantity -5");
  expect_rejected(create("ORD-T", "CUST-1", {{"SKU-0000", 60, 100}, {"SKU-0001", 41, 100}}),
                  "total quantity 101 (through line 2) exceeds 100");
}

CAF_TEST(prices must be positive integer cents) {
  expect_rejected(create("ORD-NEG", "CUST-1", {{"SKU-0000", 1, -100}}),
                  "line 1: unit price must be a positive number of cents, got -100");
  expect_rejected(create("ORD-ZERO", "CUST-1", {{"SKU-0000", 1, 0}}),
                  "unit price must be a positive number of cents, got 0");
  expect_rejected(create("ORD-HUGE", "CUST-1", {{"SKU-0000", 1, 100'000'001}}),
                  "unit price 100000001 cents exceeds 100000000");
}

CAF_TEST(bad ids are rejected) {
  expect_rejected(create("ORD-C", "bad customer!", {{"SKU-0000", 1, 100}}),
                  "invalid customer_id 'bad customer!'");
  expect_rejected(create("ORD-C2", "", {{"SKU-0000", 1, 100}}), "invalid customer_id ''");
  expect_rejected(create("ORD-S", "CUST-1", {{"SKU 0000", 1, 100}}),
                  "line 1: invalid SKU 'SKU 0000'");
  expect_rejected(create("ORD-OTHER", "CUST-1", {{"SKU-0000", 1, 100}}),
                  "order_id 'ORD-OTHER' does not match the entity id 'ORD-M'", "ORD-M");
  expect_rejected(create("ORD-CARD", "CUST-1", {{"SKU-0000", 1, 100}}, "card with spaces"),
                  "invalid card token");
  // An order id that is not a valid ref never reaches an entity: the runtime refuses it.
  CAF_CHECK(validate_ref("order/bad id"));
  CAF_CHECK(validate_ref("order/" + std::string(65, 'x')));
}

CAF_TEST(an unknown SKU is rejected) {
  expect_rejected(create("ORD-U", "CUST-1", {{"SKU-0000", 1, 100}, {"SKU-9999", 1, 100}}),
                  "line 2: unknown SKU 'SKU-9999' (not in the catalog)");
  CAF_CHECK_EQUAL(node->report("inventory/SKU-0000").event_seq(), 0u);
}

CAF_TEST(garbage bytes do not create an order) {
  auto seq = node->send_raw("order/ORD-G", typed_bytes{"sagaforge.order.CreateOrder", "\xff\xff"},
                            "client/test");
  node->run();
  auto* ack = node->ack_for("order/ORD-G", seq);
  CAF_REQUIRE(ack != nullptr);
  CAF_CHECK_NOT_EQUAL(ack->reply_error(), "");
  CAF_CHECK_EQUAL(node->report("order/ORD-G").event_seq(), 0u);
}

CAF_TEST_FIXTURE_SCOPE_END()
