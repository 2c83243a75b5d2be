// Scenario 8: every message delivered twice. A router that hands each envelope (and each
// ack) to its receiver twice, plus client commands sent twice with the same seq, give the same
// final state as single delivery — for a confirmed, a declined and an out-of-stock order.
#define CAF_SUITE fulfillment.duplicates
#include "caf/test/dsl.hpp"

#include "order_events.pb.h"
#include "runtime/messages.hpp"
#include "tests/actors/fulfillment/fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::testing;
using namespace sagaforge::testing::ful;

namespace {

/// Delivers every message twice (the local router's resolution, done twice).
class doubling_router : public router {
public:
  explicit doubling_router(directory& d) : dir_(d) {}
  bool route(const std::string& to, const caf::message& msg, bool activate) override {
    auto ok = dir_.deliver(to, msg, activate);
    dir_.deliver(to, msg, activate);
    return ok;
  }

private:
  directory& dir_;
};

const std::vector<std::string> orders{"ORD-A", "ORD-B", "ORD-C"};
const std::vector<std::string> customers{"CUST-1", "CUST-2"};
const std::vector<std::string> skus{"SKU-0000", "SKU-0001", "SKU-0002"};

/// Runs the three orders; `twice`: every delivery doubled. Returns the final digest.
std::string run_orders(bool twice, uint64_t* duplicates = nullptr) {
  auto st = std::make_shared<memory_store>();
  auto node = make_node(st);
  auto& rt = node->runtime().context();
  if (twice)
    rt.set_router(std::make_unique<doubling_router>(rt.dir()));
  auto send = [&](const std::string& to, const auto& msg) {
    auto seq = node->send(to, msg);
    if (twice)
      node->send_with_seq(to, typed_bytes::of(msg), seq);
  };
  for (auto& sku : skus) {
    inventory::Restock r;
    r.set_quantity(sku == "SKU-0002" ? 1 : 10);
    send(fulfillment::inventory_ref(sku), r);
  }
  node->run();
  send("order/ORD-A", create("ORD-A", "CUST-1", {{"SKU-0000", 2, 100}, {"SKU-0001", 1, 300}}));
  send("order/ORD-B", create("ORD-B", "CUST-2", {{"SKU-0001", 1, 100}}, "declined"));
  send("order/ORD-C", create("ORD-C", "CUST-1", {{"SKU-0000", 1, 100}, {"SKU-0002", 5, 1}}));
  node->run();
  if (duplicates)
    *duplicates = rt.counters().duplicates.load();
  return digest(*node, orders, customers, skus);
}

} // namespace

CAF_TEST(every message twice gives the same final state as once) {
  auto once = run_orders(false);
  uint64_t duplicates = 0;
  auto twice = run_orders(true, &duplicates);
  CAF_CHECK_EQUAL(once, twice);
  CAF_CHECK_GREATER(duplicates, 40u);  // the doubling really happened
  CAF_MESSAGE("final state:\n" << once);
  // And that state is the expected one.
  CAF_CHECK_NOT_EQUAL(once.find("order ORD-A: CONFIRMED"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(once.find("order ORD-B: CANCELLED 'payment declined"), std::string::npos);
  CAF_CHECK_NOT_EQUAL(once.find("order ORD-C: CANCELLED 'out of stock"), std::string::npos);
}

CAF_TEST(an outcome delivered twice notifies once) {
  auto st = std::make_shared<memory_store>();
  auto node = make_node(st);
  order::OrderOutcome out;
  out.set_order_id("ORD-Z");
  out.set_customer_id("CUST-9");
  out.set_status("CONFIRMED");
  out.set_total_cents(100);
  // Two different senders: the runtime's de-duplication cannot help; the entity's own must.
  node->send("notification/CUST-9", out, "client/a");
  node->send("notification/CUST-9", out, "client/b");
  node->run();
  auto n = notes_of(*node, "CUST-9");
  CAF_CHECK_EQUAL(n.sent_size(), 1);
  CAF_CHECK_EQUAL(n.total_sent(), 1u);
}
