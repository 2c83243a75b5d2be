// Scenario 9: 200 concurrent redemptions against one account holding points for exactly
// 50 -> exactly 50 succeed, the balance never goes below zero (checked at every event of the
// account's journal), every other saga is compensated.
#define CAF_SUITE loyalty.concurrent_redemptions
#include "caf/test/dsl.hpp"

#include <map>

#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;

CAF_TEST(two hundred redemptions against points for fifty) {
  constexpr int sagas = 200;
  constexpr int64_t cost = 100;
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  earn(node, "c1", 50 * cost);
  define_reward(node, "r1", cost, 120);
  define_reward(node, "r2", cost, 120);
  for (int i = 0; i < sagas; ++i)  // all in flight at once, over two rewards
    start(node, "s" + std::to_string(i), "c1", i % 2 == 0 ? "r1" : "r2", cost);
  node.run();
  std::map<Status, int> by_status;
  int64_t unsettled = 0;
  for (int i = 0; i < sagas; ++i) {
    auto s = saga(node, "s" + std::to_string(i));
    by_status[s.status()]++;
    unsettled += is_settled(s) ? 0 : 1;
    if (s.status() == COMPENSATED) {
      CAF_CHECK_EQUAL(s.points().outcome(), FAILED_RESULT);
      CAF_CHECK_EQUAL(s.compensations_size(), 1);  // the unit it had allocated
    }
  }
  CAF_CHECK_EQUAL(by_status[COMPLETED], 50);
  CAF_CHECK_EQUAL(by_status[COMPENSATED], 150);
  CAF_CHECK_EQUAL(unsettled, 0);
  auto a = account(node, "c1");
  CAF_CHECK_EQUAL(a.balance(), 0);
  CAF_CHECK_EQUAL(a.spent(), 50 * cost);
  // The journal, event by event: the balance never went below zero.
  int64_t balance = 0, lowest = 0, events = 0;
  auto err = node.runtime().for_each_event(
    "points", [&](const std::string& ref, uint64_t, const std::string& bytes, int64_t) {
      points::PointsEvent ev;
      CAF_REQUIRE(ev.ParseFromString(bytes));
      if (ref != "points/c1")
        return true;
      ++events;
      balance += ev.earned().points() - ev.deducted().points() + ev.refunded().points();
      lowest = std::min(lowest, balance);
      return true;
    });
  CAF_REQUIRE(!err);
  CAF_CHECK_EQUAL(events, 1 + sagas);  // the earn, 50 deductions, 150 declines
  CAF_CHECK_EQUAL(lowest, 0);
  CAF_CHECK_EQUAL(balance, 0);
  int64_t held = 0, stock = 0;
  for (auto r : {"r1", "r2"}) {
    auto rs = reward_of(node, r);
    held += held_units(rs);
    stock += rs.stock();
    CAF_CHECK_EQUAL(rs.stocked_total(), rs.stock() + held_units(rs));
  }
  CAF_CHECK_EQUAL(held, 50);
  CAF_CHECK_EQUAL(stock, 240 - 50);
}
