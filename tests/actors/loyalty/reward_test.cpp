// The reward's decide and apply through the entity harness: catalog entry, validation,
// allocation and release idempotent per redemption id, stock conservation, rejections.
#define CAF_SUITE loyalty.reward
#include "caf/test/unit_test.hpp"

#include "actors/reward/reward.hpp"
#include "reward.pb.h"
#include "tests/support/entity_harness.hpp"

using namespace sagaforge;
using namespace sagaforge::reward;
using sagaforge::testing::run_command;

namespace {

struct reward_fixture {
  entity_logic_ptr logic = make_reward_logic();
  RewardState state;

  template <class T>
  auto run(const T& cmd, const std::string& sender = "client/test") {
    auto r = run_command<RewardState, RewardEvent>(*logic, state, inbound::of(cmd, sender), 1000,
                                                   "reward/r1");
    CAF_CHECK(r.round_trip_ok);
    state = r.state;
    return r;
  }

  auto define(int64_t cost, int64_t stock, bool active = true) {
    DefineReward d;
    d.set_name("mug");
    d.set_points_cost(cost);
    d.set_stock(stock);
    d.set_active(active);
    return run(d);
  }

  auto validate(const std::string& rid, int64_t cost) {
    ValidateReward v;
    v.set_redemption_id(rid);
    v.set_expected_cost(cost);
    return run(v, "redemption/" + rid);
  }

  auto allocate(const std::string& rid) {
    AllocateRewardInventory a;
    a.set_redemption_id(rid);
    return run(a, "redemption/" + rid);
  }

  auto release(const std::string& rid) {
    ReleaseRewardInventory r;
    r.set_redemption_id(rid);
    return run(r, "redemption/" + rid);
  }

  int64_t held() const {
    int64_t n = 0;
    for (auto& a : state.allocations())
      n += a.status() == ALLOCATION_HELD ? 1 : 0;
    return n;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(reward_tests, reward_fixture)

CAF_TEST(validation checks the catalog entry and the active flag and the cost) {
  auto unknown = validate("x1", 100).reply_as<RewardValidationFailed>();
  CAF_REQUIRE(unknown);
  CAF_CHECK_NOT_EQUAL(unknown->reason().find("not in the catalog"), std::string::npos);
  define(100, 5);
  auto ok = validate("x1", 100);
  CAF_CHECK(ok.events.empty());
  auto validated = ok.reply_as<RewardValidated>();
  CAF_REQUIRE(validated);
  CAF_CHECK_EQUAL(validated->name(), "mug");
  auto wrong = validate("x1", 90).reply_as<RewardValidationFailed>();
  CAF_REQUIRE(wrong);
  CAF_CHECK_NOT_EQUAL(wrong->reason().find("cost mismatch"), std::string::npos);
  SetRewardActive off;
  off.set_active(false);
  run(off);
  CAF_CHECK(validate("x1", 100).reply_as<RewardValidationFailed>());
}

CAF_TEST(one unit per redemption and a re-sent allocation takes no second unit) {
  define(100, 2);
  CAF_CHECK_EQUAL(allocate("a").reply_as<InventoryAllocated>()->stock_left(), 1);
  auto again = allocate("a");
  CAF_CHECK(again.events.empty());
  CAF_CHECK(again.reply_as<InventoryAllocated>());
  allocate("b");
  auto none = allocate("c").reply_as<AllocationFailed>();
  CAF_REQUIRE(none);
  CAF_CHECK_EQUAL(none->reason(), "out of stock");
  CAF_CHECK_EQUAL(state.stock(), 0);
  CAF_CHECK_EQUAL(held(), 2);
  CAF_CHECK_EQUAL(state.stocked_total(), state.stock() + held());
}

CAF_TEST(release gives the unit back once and voids an allocation that comes later) {
  define(100, 1);
  allocate("a");
  auto r = release("a");
  CAF_CHECK(r.reply_as<InventoryReleased>()->released());
  CAF_CHECK_EQUAL(state.stock(), 1);
  auto again = release("a");
  CAF_CHECK(again.events.empty());
  CAF_CHECK(again.reply_as<InventoryReleased>()->already());
  CAF_CHECK(allocate("a").reply_as<AllocationFailed>());  // released ids stay released
  auto early = release("b");
  CAF_REQUIRE_EQUAL(early.events.size(), 1u);
  CAF_CHECK(early.events[0].has_voided());
  CAF_CHECK(allocate("b").reply_as<AllocationFailed>());
  CAF_CHECK_EQUAL(state.stock(), 1);
  CAF_CHECK_EQUAL(state.stocked_total(), state.stock() + held());
}

CAF_TEST(restock and redefinition keep stock conserved) {
  define(100, 3);
  allocate("a");
  RestockReward more;
  more.set_units(4);
  run(more);
  CAF_CHECK_EQUAL(state.stock(), 6);
  define(120, 10);  // stock set to 10 units available now
  CAF_CHECK_EQUAL(state.points_cost(), 120);
  CAF_CHECK_EQUAL(state.stocked_total(), state.stock() + held());
  CAF_CHECK_EQUAL(held(), 1);
}

CAF_TEST(invalid catalog commands are rejected without events) {
  CAF_CHECK(define(0, 5).rejection);
  CAF_CHECK(define(100, -1).rejection);
  DefineReward nameless;
  nameless.set_points_cost(10);
  CAF_CHECK(run(nameless).rejection);
  CAF_CHECK(allocate("").rejection);
  CAF_CHECK(validate("bad id!", 10).rejection);
  RestockReward more;
  more.set_units(3);
  CAF_CHECK(run(more).rejection);  // not in the catalog yet
  CAF_CHECK_EQUAL(state.ByteSizeLong(), 0u);
  define(100, 1);
  more.set_units(-3);
  CAF_CHECK(run(more).rejection);
}

CAF_TEST_FIXTURE_SCOPE_END()
