// Scenario 10: an order confirmed twice by redelivery -> points credited once: the same
// envelope twice, the outcome re-published in new envelopes (from the same and from another
// sender, and from an entity the way order/<id> sends it), then the refund taken back once.
#define CAF_SUITE loyalty.order_credit
#include "caf/test/dsl.hpp"

#include "order_events.pb.h"
#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;

namespace {

order::OrderOutcome outcome(const std::string& order, const std::string& status, int64_t cents) {
  order::OrderOutcome o;
  o.set_order_id(order);
  o.set_customer_id("c1");
  o.set_status(status);
  o.set_total_cents(cents);
  return o;
}

/// "publisher/<id>": forwards an OrderOutcome it is given to points/<customer>, as the
/// order entity does (an entity sender: no reply is expected or sent back).
entity_logic_ptr publisher_logic() {
  return std::make_shared<entity_definition<points::PointsState, points::PointsEvent>>(
    "publisher",
    [](const points::PointsState&, const inbound& in,
       decide_context<points::PointsEvent>& ctx) {
      order::OrderOutcome o;
      if (in.parse(o)) {
        ctx.send("points/" + o.customer_id(), o);
      } else {
        points::PointsEvent ev;  // anything coming back (a reply, a rejection) is recorded
        ev.mutable_earned()->set_transaction_id("unexpected " + in.type());
        ctx.persist(ev);
      }
    },
    [](points::PointsState&, const points::PointsEvent&) {});
}

} // namespace

CAF_TEST(a confirmed order delivered and re-published several times credits once) {
  auto st = std::make_shared<memory_store>();
  auto types = loyalty_types();
  types.push_back(publisher_logic());
  test_node node{st, types};
  auto confirmed = typed_bytes::of(outcome("o1", "CONFIRMED", 25'999));  // 259 points
  node.send_with_seq("points/c1", confirmed, 1, "client/dup");  // the same envelope twice
  node.send_with_seq("points/c1", confirmed, 1, "client/dup");
  auto seq = node.send_raw("points/c1", confirmed, "client/test");  // a new envelope
  node.send_raw("points/c1", confirmed, "client/other");            // another sender
  node.send("publisher/o1", outcome("o1", "CONFIRMED", 25'999));
  node.run();
  auto a = account(node, "c1");
  CAF_CHECK_EQUAL(a.balance(), 259);
  CAF_CHECK_EQUAL(a.earned(), 259);
  CAF_REQUIRE_EQUAL(a.orders_size(), 1);
  auto* ack = node.ack_for("points/c1", seq);
  CAF_REQUIRE(ack != nullptr);
  points::Balance b;  // a client asking gets the balance after its command
  CAF_REQUIRE(b.ParseFromString(ack->reply_payload()));
  CAF_CHECK_EQUAL(b.balance(), 259);
  auto pub = node.report("publisher/o1");
  CAF_CHECK_EQUAL(pub.outbox_size(), 0u);   // delivered and acknowledged
  CAF_CHECK_EQUAL(pub.event_seq(), 0u);
  CAF_CHECK_EQUAL(node.report("points/c1").outbox_size(), 0u);  // no reply to the entity
  // Another order credits separately; the refund of o1 debits once.
  node.send("points/c1", outcome("o2", "CONFIRMED", 1'000));
  auto refunded = typed_bytes::of(outcome("o1", "REFUNDED", 25'999));
  node.send_raw("points/c1", refunded, "client/test");
  node.send_raw("points/c1", refunded, "client/other");
  node.send("publisher/o1", outcome("o1", "REFUNDED", 25'999));
  node.send("points/c1", outcome("o1", "CONFIRMED", 25'999));  // stale: stays reversed
  node.run();
  a = account(node, "c1");
  CAF_CHECK_EQUAL(a.balance(), 10);
  CAF_CHECK_EQUAL(a.reversed(), 259);
  CAF_CHECK_EQUAL(a.earned() - a.spent() + a.refunded() - a.reversed(), a.balance());
}

CAF_TEST(the credit rate is configurable) {
  auto cfg = test_config();
  cfg.points_per_currency_unit = 5;
  cfg.cents_per_currency_unit = 1000;
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types(cfg)};
  node.send("points/c1", outcome("o1", "CONFIRMED", 12'345));
  node.run();
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 60);
}
