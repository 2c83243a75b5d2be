// The order workload driver on a real (threaded) node in memory mode: a small closed-loop run
// and a small open-loop run finish every order with the planned mix, measure throughput and
// latency, and find every invariant holding.
#define CAF_SUITE fulfillment.workload
#include "caf/test/unit_test.hpp"

#include "caf/all.hpp"

#include "actors/fulfillment/order_workload.hpp"
#include "runtime/errors.hpp"
#include "runtime/runtime_config.hpp"

using namespace sagaforge;
using namespace sagaforge::fulfillment;

namespace {

order_workload_result drive(order_workload_options opts) {
  runtime_system_config sys_cfg;
  sys_cfg.set("logger.console", caf::atom("none"));
  caf::actor_system sys{sys_cfg};
  fulfillment_config cfg;
  cfg.points_type = "";
  order_workload w{cfg, opts};
  node_runtime::options nopts;
  nopts.settings.durability_name = "memory";
  auto node = node_runtime::start(sys, nopts, w.entity_types());
  if (!node)
    CAF_FAIL("start: " << describe(node.error()));
  auto r = w.run(**node);
  (*node)->shutdown();
  return r;
}

} // namespace

CAF_TEST(a closed - loop run finishes every order and holds the invariants) {
  order_workload_options opts;
  opts.orders = 400;
  opts.skus = 100;
  opts.concurrency = 64;
  opts.print = false;
  opts.timeout_s = 60;
  auto r = drive(opts);
  order_workload::print(r);
  CAF_CHECK_EQUAL(r.orders, 400);
  CAF_CHECK_EQUAL(r.unfinished, 0);
  CAF_CHECK_EQUAL(r.unexpected, 0);
  CAF_CHECK_EQUAL(r.confirmed + r.cancelled_out_of_stock + r.cancelled_declined, 400);
  CAF_CHECK_GREATER(r.confirmed, 250);              // ~80 %
  CAF_CHECK_GREATER(r.cancelled_out_of_stock, 15);  // ~10 %
  CAF_CHECK_GREATER(r.cancelled_declined, 15);      // ~10 %
  CAF_CHECK(r.invariants_checked);
  CAF_CHECK(r.invariants_ok);
  CAF_CHECK(r.violations.empty());
  CAF_CHECK_GREATER(r.sagas_per_s, 0.0);
  CAF_CHECK_GREATER(r.p50_ms, 0.0);
  CAF_CHECK_LESS_OR_EQUAL(r.p50_ms, r.p99_ms);
  CAF_CHECK_GREATER(r.steps_per_saga, 10.0);
  CAF_CHECK_EQUAL(r.exit_code(), 0);
}

CAF_TEST(an open - loop run at a fixed rate finishes too) {
  order_workload_options opts;
  opts.orders = 200;
  opts.skus = 50;
  opts.rate_per_s = 400;
  opts.print = false;
  opts.timeout_s = 60;
  auto r = drive(opts);
  order_workload::print(r);
  CAF_CHECK_EQUAL(r.unfinished, 0);
  CAF_CHECK(r.invariants_ok);
  CAF_CHECK_GREATER_OR_EQUAL(r.seconds, 0.45);  // 200 orders at 400/s take half a second
  CAF_CHECK_EQUAL(r.exit_code(), 0);
}
