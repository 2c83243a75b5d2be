// Scenario 5: the circuit breaker. Five consecutive gateway failures open it; while open a
// charge fails fast (no simulated call, no latency) and the saga, after its retry budget,
// compensates — the documented outcome: no charge, stock released, CANCELLED with the reason.
// After breaker_open_ms it lets three trial calls through; when they succeed it closes.
#define CAF_SUITE fulfillment.circuit_breaker
#include "caf/test/dsl.hpp"

#include "tests/actors/fulfillment/fixture.hpp"

using namespace std::chrono_literals;
using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

struct fixture {
  std::shared_ptr<memory_store> st = std::make_shared<memory_store>();
  fulfillment_config cfg;
  std::unique_ptr<test_node> node;

  fixture() {
    cfg = test_config();
    cfg.step_max_attempts = 7;
    cfg.gateway_latency_ms = 50;  // admitted calls take time; refused ones do not
    node = make_node(st, cfg);
    restock(*node, "SKU-0000", 100);
  }

  /// An order whose every gateway call errors: trips the breaker after 5 attempts.
  void trip() {
    place(*node, create("ORD-ERR", "CUST-1", {{"SKU-0000", 1, 100}}, "error:99"));
    node->run();
    pass_time(*node, 40s);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(circuit_breaker, fixture)

CAF_TEST(five failures open the circuit and the saga compensates without a charge) {
  trip();
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.breaker().state(), payment::OPEN);
  CAF_CHECK_EQUAL(g.errors(), 5u);
  CAF_CHECK_EQUAL(g.rejected_open(), 2u);  // attempts 6 and 7 failed fast
  CAF_CHECK_EQUAL(g.trips(), 1u);
  auto o = order_of(*node, "ORD-ERR");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  CAF_CHECK_NOT_EQUAL(o.reason().find("gave up after 7 attempts: circuit open until"),
                      std::string::npos);
  auto p = payment_of(*node, "ORD-ERR");
  CAF_CHECK_EQUAL(p.charges(), 0u);
  auto s = stock_of(*node, "SKU-0000");
  CAF_CHECK_EQUAL(s.available(), 100);
}

CAF_TEST(while open a good order fails fast and is compensated) {
  trip();
  place(*node, create("ORD-OK", "CUST-2", {{"SKU-0000", 2, 100}}));
  node->run();
  // The first charge attempt was answered in the same pass, before any simulated latency.
  auto mid = saga_of(*node, "ORD-OK");
  CAF_CHECK_EQUAL(mid.steps(1).status(), SagaStep::RETRY_WAIT);
  CAF_CHECK_NOT_EQUAL(mid.steps(1).last_error().find("circuit open"), std::string::npos);
  pass_time(*node, 30s);  // less than the 60 s the circuit stays open
  auto o = order_of(*node, "ORD-OK");
  CAF_CHECK_EQUAL(o.status(), "CANCELLED");
  auto p = payment_of(*node, "ORD-OK");
  CAF_CHECK_EQUAL(p.charges(), 0u);
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.calls(), 5u);  // no call of ORD-OK reached the simulated gateway
  CAF_CHECK_EQUAL(g.rejected_open(), 2u + 7u);
  auto s = stock_of(*node, "SKU-0000");
  CAF_CHECK_EQUAL(s.available(), 100);
  CAF_CHECK_EQUAL(s.reserved(), 0);
}

CAF_TEST(after the open period three good trial calls close it) {
  trip();
  pass_time(*node, 61s);
  for (int i = 0; i < 3; ++i) {
    place(*node, create("ORD-P" + std::to_string(i), "CUST-3", {{"SKU-0000", 1, 100}}));
    node->run();
    pass_time(*node, 1s);
    auto g = gateway_of(*node);
    CAF_CHECK_EQUAL(g.breaker().state(), i < 2 ? payment::HALF_OPEN : payment::CLOSED);
    auto o = order_of(*node, "ORD-P" + std::to_string(i));
    CAF_CHECK_EQUAL(o.status(), "CONFIRMED");
  }
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.trips(), 1u);
  CAF_CHECK_EQUAL(g.approved(), 3u);
}

CAF_TEST(a failed trial call opens it again) {
  trip();
  pass_time(*node, 61s);
  place(*node, create("ORD-BAD", "CUST-3", {{"SKU-0000", 1, 100}}, "error:1"));
  node->run();
  pass_time(*node, 100ms);
  auto g = gateway_of(*node);
  CAF_CHECK_EQUAL(g.breaker().state(), payment::OPEN);
  CAF_CHECK_EQUAL(g.trips(), 2u);
}

CAF_TEST_FIXTURE_SCOPE_END()
