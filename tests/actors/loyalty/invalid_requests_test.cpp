// Scenario 11: invalid requests (unknown reward, bad cost, bad ids, conflicting re-use of an
// id, unknown commands) -> a clear rejection that says what was wrong, and nothing stored:
// no events at the saga, and the accounts and rewards untouched.
#define CAF_SUITE loyalty.invalid_requests
#include "caf/test/dsl.hpp"

#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;

namespace {

struct fixture {
  std::shared_ptr<memory_store> st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};

  fixture() {
    earn(node, "c1", 500);
    define_reward(node, "r1", 100, 5);
  }

  /// Sends and returns the rejection reason ("" when accepted).
  std::string rejection(const std::string& to, const typed_bytes& msg) {
    auto seq = node.send_raw(to, msg, "client/test");
    node.run();
    auto* ack = node.ack_for(to, seq);
    if (ack == nullptr)
      return "<no ack>";
    return ack->reply_error();
  }

  void check_untouched() {
    CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
    CAF_CHECK_EQUAL(node.report("points/c1").event_seq(), 1u);  // the earn only
    CAF_CHECK_EQUAL(reward_of(node, "r1").stock(), 5);
    CAF_CHECK_EQUAL(node.report("reward/r1").event_seq(), 1u);  // the definition only
  }
};

bool says(const std::string& reason, const std::string& what) {
  return reason.find(what) != std::string::npos;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(invalid_requests, fixture)

CAF_TEST(a malformed start is rejected with the reason and stores nothing) {
  CAF_CHECK(says(rejection("redemption/s1", start_msg("c1", "r1", -100)), "expected_cost"));
  CAF_CHECK(says(rejection("redemption/s1", start_msg("c1", "r1", 0)), "expected_cost"));
  CAF_CHECK(says(rejection("redemption/s1", start_msg("bad id!", "r1", 100)), "customer_id"));
  CAF_CHECK(says(rejection("redemption/s1", start_msg("c1", "", 100)), "reward_id"));
  CAF_CHECK(says(rejection("redemption/s1", start_msg("c1", std::string(65, 'x'), 100)),
                 "reward_id"));
  auto rep = node.report("redemption/s1");
  CAF_CHECK_EQUAL(rep.event_seq(), 0u);
  CAF_CHECK_EQUAL(rep.outbox_size(), 0u);
  CAF_CHECK_EQUAL(rep.timers(), 0u);
  CAF_CHECK_EQUAL(saga(node, "s1").status(), NEW);
  check_untouched();
}

CAF_TEST(an unknown reward fails the saga clearly and no branch keeps anything) {
  CAF_CHECK_EQUAL(rejection("redemption/s1", start_msg("c1", "no-such-reward", 100)), "");
  auto s = saga(node, "s1");
  CAF_CHECK(s.status() == FAILED || s.status() == COMPENSATED);
  CAF_CHECK(says(s.reason(), "'no-such-reward' is not in the catalog"));
  CAF_CHECK(is_settled(s));
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 500);
  CAF_CHECK_EQUAL(node.report("reward/no-such-reward").event_seq(), 0u);  // nothing stored
}

CAF_TEST(reusing a redemption id with other parameters is rejected) {
  CAF_CHECK_EQUAL(rejection("redemption/s1", start_msg("c1", "r1", 100)), "");
  CAF_CHECK_EQUAL(saga(node, "s1").status(), COMPLETED);
  auto events = node.report("redemption/s1").event_seq();
  CAF_CHECK(says(rejection("redemption/s1", start_msg("c1", "r1", 200)), "already exists"));
  CAF_CHECK_EQUAL(rejection("redemption/s1", start_msg("c1", "r1", 100)), "");  // same: fine
  CAF_CHECK_EQUAL(node.report("redemption/s1").event_seq(), events);
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 400);
}

CAF_TEST(bad participant commands and unknown messages are rejected without events) {
  points::DeductPoints d;
  d.set_transaction_id("t1");
  d.set_points(-3);
  CAF_CHECK(says(rejection("points/c1", typed_bytes::of(d)), "points must be"));
  points::RefundPoints r;
  CAF_CHECK(says(rejection("points/c1", typed_bytes::of(r)), "transaction_id"));
  reward::DefineReward def;
  def.set_name("x");
  def.set_points_cost(10);
  def.set_stock(-1);
  CAF_CHECK(says(rejection("reward/r1", typed_bytes::of(def)), "stock"));
  CAF_CHECK(says(rejection("reward/r1", typed_bytes::of(points::GetBalance{})),
                 "does not understand"));
  CAF_CHECK_EQUAL(rejection("redemption/s9", typed_bytes::of(GetRedemption{})), "");
  CAF_CHECK(says(rejection("redemption/s9", typed_bytes::of(points::GetBalance{})),
                 "never started"));
  typed_bytes garbage{type_name_of<StartRedemption>(), std::string("\xff\xff\xff", 3)};
  CAF_CHECK(says(rejection("redemption/s9", garbage), "does not parse"));
  CAF_CHECK_EQUAL(node.report("redemption/s9").event_seq(), 0u);
  check_untouched();
}

CAF_TEST_FIXTURE_SCOPE_END()

