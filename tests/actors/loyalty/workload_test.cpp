// The redemption workload driver on a real actor system (memory store): every saga settles,
// the outcomes add up, and the invariants it checks hold.
#define CAF_SUITE loyalty.workload
#include "caf/test/unit_test.hpp"

#include "actors/redemption/loyalty_config.hpp"
#include "actors/redemption/redemption_workload.hpp"
#include "runtime/errors.hpp"
#include "runtime/memory_store.hpp"
#include "runtime/runtime_config.hpp"

using namespace sagaforge;
using namespace sagaforge::redemption;

namespace {

struct threaded_node {
  runtime_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<node_runtime> node;

  threaded_node() {
    sys = std::make_unique<caf::actor_system>(cfg);
    node_runtime::options opts;
    opts.settings.durability_name = "memory";
    opts.given_store = std::make_shared<memory_store>();
    auto rt = node_runtime::start(*sys, opts, loyalty::make_loyalty_logic());
    if (!rt)
      CAF_FAIL("start: " << describe(rt.error()));
    node = std::move(*rt);
  }

  ~threaded_node() {
    node->shutdown();
  }
};

int64_t sum(const std::map<std::string, int64_t>& m) {
  int64_t n = 0;
  for (auto& [k, v] : m)
    n += v;
  return n;
}

} // namespace

CAF_TEST(a closed-loop run settles every saga and keeps every invariant) {
  threaded_node tn;
  workload_options o;
  o.run_id = "t1";
  o.customers = 40;
  o.rewards = 6;
  o.redemptions = 400;
  o.points_per_customer = 700;  // ~7 of ~10 per customer affordable: some compensate
  o.reward_stock = 60;          // 400 / 6 = 67 asked per reward: some run out
  o.inactive_reward_every = 5;
  o.concurrency = 64;
  auto r = run_redemption_workload(*tn.node, o);
  CAF_REQUIRE(r);
  print_workload_result(*r);
  CAF_CHECK_EQUAL(r->unsettled, 0);
  CAF_CHECK_EQUAL(r->rejected, 0);
  CAF_CHECK_EQUAL(sum(r->by_status), 400);
  CAF_CHECK_GREATER(r->by_status["Completed"], 0);
  CAF_CHECK_GREATER(r->by_status["Compensated"] + r->by_status["Failed"], 0);
  CAF_CHECK(r->points_conserved);
  CAF_CHECK(r->debit_iff_issued);
  CAF_CHECK(r->stock_conserved);
  CAF_CHECK_EQUAL(r->wallet_entries, r->by_status["Completed"]);
  CAF_CHECK(r->ok);
  CAF_CHECK_GREATER(r->redemptions_per_s, 0.0);
  CAF_CHECK_GREATER_OR_EQUAL(r->steps_per_saga, 7.0);  // start, 3 commands, 3 results
  CAF_CHECK_LESS_OR_EQUAL(r->p50_ms, r->p99_ms);
}

CAF_TEST(an open-loop run at a fixed rate keeps every invariant) {
  threaded_node tn;
  workload_options o;
  o.run_id = "t2";
  o.customers = 20;
  o.rewards = 4;
  o.redemptions = 200;
  o.rate_per_s = 1000;
  auto r = run_redemption_workload(*tn.node, o);
  CAF_REQUIRE(r);
  CAF_CHECK_EQUAL(sum(r->by_status), 200);
  CAF_CHECK(r->ok);
  CAF_CHECK_GREATER_OR_EQUAL(r->seconds, 0.15);  // 200 at 1000/s take ~0.2 s to offer
}
