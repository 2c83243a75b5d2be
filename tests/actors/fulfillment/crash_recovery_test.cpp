// Scenario 9: a crash of the node at every step boundary. For each k, the node runs until the
// store holds k log records of the order's run, is destroyed (a crash: what was not committed
// is gone, committed sends not yet made are never made), and a new node on the same store
// finishes the run. Every k must end in the same final state as the run without a crash.
#define CAF_SUITE fulfillment.crash_recovery
#include "caf/test/dsl.hpp"

#include "tests/actors/fulfillment/fixture.hpp"

using namespace std::chrono_literals;
using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

const std::vector<std::string> skus{"SKU-0000", "SKU-0001"};

struct outcome {
  std::string digest;
  size_t records = 0;  // log records the order's run wrote (after the restocks)
};

/// Restocks, places `c`, crashes after `crash_at` more log records (0 = never), finishes.
outcome run_with_crash(const order::CreateOrder& c, size_t crash_at) {
  auto st = std::make_shared<memory_store>();
  int64_t clock = 0;
  size_t base = 0;
  {
    auto node = make_node(st);
    for (auto& sku : skus)
      restock(*node, sku, 10);
    base = log_records(*st);
    place(*node, c);
    if (crash_at == 0) {
      node->run();
      pass_time(*node, 2s);
      return {digest(*node, {c.order_id()}, {c.customer_id()}, skus), log_records(*st) - base};
    }
    while (log_records(*st) < base + crash_at && node->run_once()) {
    }
    clock = node->now_ms();
  }  // the crash
  auto node = make_node(st, test_config(), false, clock + 1);
  node->run();
  pass_time(*node, 2s);  // resends after the restart; well below the 5 s step timeout
  return {digest(*node, {c.order_id()}, {c.customer_id()}, skus), log_records(*st) - base};
}

void crash_everywhere(const order::CreateOrder& c, const std::string& expected_status) {
  auto reference = run_with_crash(c, 0);
  CAF_REQUIRE_NOT_EQUAL(reference.digest.find("order " + c.order_id() + ": " + expected_status),
                        std::string::npos);
  CAF_MESSAGE(reference.records << " records without a crash; final state:\n" << reference.digest);
  CAF_REQUIRE_GREATER(reference.records, 10u);
  for (size_t k = 1; k <= reference.records; ++k) {
    auto crashed = run_with_crash(c, k);
    CAF_CHECK_EQUAL(crashed.digest, reference.digest);
    if (crashed.digest != reference.digest)
      CAF_MESSAGE("crash after record " << k << " diverged");
  }
}

} // namespace

CAF_TEST(a confirmed order survives a crash at every step boundary) {
  crash_everywhere(create("ORD-K", "CUST-1", {{"SKU-0000", 2, 150}, {"SKU-0001", 1, 700}}),
                   "CONFIRMED");
}

CAF_TEST(a compensated order survives a crash at every step boundary) {
  crash_everywhere(
    create("ORD-Q", "CUST-1", {{"SKU-0000", 2, 150}, {"SKU-0001", 1, 700}}, "declined"),
    "CANCELLED");
}
