// Scenario 1: all three branches succeed -> Completed, the balance decreased once, one unit
// allocated, the wallet read model shows the reward, nothing left in flight; the settled
// saga leaves memory at once and comes back intact when asked.
#define CAF_SUITE loyalty.all_succeed
#include "caf/test/dsl.hpp"

#include "actors/redemption/redemption_views.hpp"
#include "tests/actors/loyalty/loyalty_fixture.hpp"

using namespace sagaforge;
using namespace sagaforge::loyalty::testing;
using namespace sagaforge::redemption;

CAF_TEST(a redemption whose three branches succeed completes and debits once) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  earn(node, "c1", 500);
  define_reward(node, "r1", 100, 10);
  auto seq = start(node, "s1", "c1", "r1", 100);
  node.run();
  auto* ack = node.ack_for("redemption/s1", seq);
  CAF_REQUIRE(ack != nullptr);
  CAF_CHECK(ack->reply_error().empty());
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(status_name(s.status()), std::string{"Completed"});
  for (auto b : {POINTS, VALIDATION, INVENTORY})
    CAF_CHECK_EQUAL(branch_state(s, b).outcome(), SUCCEEDED);
  CAF_CHECK_EQUAL(s.compensations_size(), 0);
  CAF_CHECK_EQUAL(s.reward_name(), "gift r1");
  CAF_CHECK(s.finished_at_ms() >= s.started_at_ms() && s.started_at_ms() > 0);
  auto a = account(node, "c1");
  CAF_CHECK_EQUAL(a.balance(), 400);
  CAF_CHECK_EQUAL(a.spent(), 100);
  CAF_CHECK_EQUAL(a.deductions_size(), 1);
  auto r = reward_of(node, "r1");
  CAF_CHECK_EQUAL(r.stock(), 9);
  CAF_CHECK_EQUAL(held_units(r), 1);
  // Nothing left in flight: outboxes drained, the timeout cancelled.
  auto rep = node.report("redemption/s1");
  CAF_CHECK_EQUAL(rep.outbox_size(), 0u);
  CAF_CHECK_EQUAL(rep.timers(), 0u);
  CAF_CHECK_EQUAL(node.report("points/c1").outbox_size(), 0u);
  CAF_CHECK_EQUAL(node.report("reward/r1").outbox_size(), 0u);
}

CAF_TEST(the wallet and status read models are rebuilt from the journals) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  earn(node, "c1", 250);
  define_reward(node, "r1", 100, 10);
  define_reward(node, "r2", 50, 10);
  start(node, "s1", "c1", "r1", 100);
  start(node, "s2", "c1", "r2", 50);
  start(node, "s3", "c1", "r1", 100);  // 100 left after s1 and s2: fits exactly
  start(node, "s4", "c1", "r2", 50);   // nothing left
  node.run();
  auto views = rebuild_loyalty_views(node.runtime());
  CAF_REQUIRE(views);
  auto& wallet = views->wallets["c1"];
  CAF_REQUIRE_EQUAL(wallet.size(), 3u);
  int64_t points = 0;
  for (auto& w : wallet)
    points += w.points;
  CAF_CHECK_EQUAL(points, 250);
  CAF_CHECK_EQUAL(views->by_status["Completed"].size(), 3u);
  auto& undone = views->by_status["Compensated"];  // one of the 50-point redemptions
  CAF_REQUIRE_EQUAL(undone.size(), 1u);
  CAF_CHECK(undone[0] == "s2" || undone[0] == "s4");
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 0);
  // The folded journal equals the live state of each saga.
  for (auto& [id, folded] : views->redemptions)
    CAF_CHECK_EQUAL(folded.SerializeAsString(), saga(node, id).SerializeAsString());
}

CAF_TEST(a settled saga passivates at once and comes back from its snapshot) {
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  earn(node, "c1", 500);
  define_reward(node, "r1", 100, 10);
  auto passivations = node.runtime().context().counters().passivations.load();
  start(node, "s1", "c1", "r1", 100);
  node.run();
  auto& dir = node.runtime().context().dir();
  // Not waiting for the idle timeout: gone from the directory, with a final snapshot.
  CAF_CHECK(!dir.lookup("redemption/s1", false));
  CAF_CHECK_EQUAL(node.runtime().context().counters().passivations.load(), passivations + 1);
  CAF_CHECK(st->get(table::snapshots, "redemption/s1")->has_value());
  // The participants are not settled sagas: they stay.
  CAF_CHECK(dir.lookup("points/c1", false));
  CAF_CHECK(dir.lookup("reward/r1", false));
  // Asked again, it is re-activated with the same state.
  auto s = saga(node, "s1");
  CAF_CHECK_EQUAL(status_name(s.status()), std::string{"Completed"});
  CAF_CHECK_EQUAL(s.reward_name(), "gift r1");
  CAF_CHECK_EQUAL(account(node, "c1").balance(), 400);
}
