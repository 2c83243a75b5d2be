// sagaforge-node: one node process. Reads the CAF config (file, then command line),
// validates the runtime's options, opens the store and runs until SIGINT/SIGTERM, or with
// --node.demo drives the demo workload and exits with its verdict.
#include <csignal>
#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

#include "caf/all.hpp"

#include "actors/counter/counter.hpp"
#include "actors/fulfillment/fulfillment_config.hpp"
#include "actors/fulfillment/order_workload.hpp"
#include "actors/redemption/loyalty_config.hpp"
#include "actors/redemption/redemption_workload.hpp"
#include "cluster/node/demo_workload.hpp"
#include "runtime/errors.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/runtime_config.hpp"

namespace {

std::atomic<bool> stop_requested{false};

class node_config : public sagaforge::runtime_system_config {
public:
  node_config() {
    caf::config_option_adder{options(), "node"}
      .add<bool>("demo", "drive the demo workload, print what happened, exit")
      .add<int64_t>("demo-entities", "counters in the demo")
      .add<int64_t>("demo-commands", "commands the demo sends")
      .add<int64_t>("demo-redemptions", "loyalty redemptions the demo runs (0: none)")
      .add<int64_t>("demo-orders", "orders the demo runs through the fulfillment saga (0: none)");
  }
};

} // namespace

int main(int argc, char** argv) {
  node_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::fprintf(stderr, "sagaforge-node: bad command line or config file: %s\n",
                 caf::to_string(err).c_str());
    return 2;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  auto settings = sagaforge::load_runtime_settings(cfg);
  if (!settings) {
    std::fprintf(stderr, "sagaforge-node: invalid configuration: %s\n",
                 sagaforge::describe(settings.error()).c_str());
    return 2;
  }
  spdlog::set_level(spdlog::level::from_str(settings->log_level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  caf::actor_system sys{cfg};
  sagaforge::node_runtime::options opts;
  opts.settings = *settings;
  bool demo = caf::get_or(cfg, "node.demo", false);
  sagaforge::fulfillment::order_workload_options oopts;
  oopts.orders = caf::get_or(cfg, "node.demo-orders", int64_t{2000});
  sagaforge::fulfillment::order_workload orders{sagaforge::fulfillment::fulfillment_config{},
                                                oopts};
  std::vector<sagaforge::entity_logic_ptr> types{sagaforge::counter::make_counter_logic()};
  for (auto& t : sagaforge::loyalty::make_loyalty_logic())
    types.push_back(t);
  // The demo's order types carry its catalog and report outcomes to the driver.
  for (auto& t : demo ? orders.entity_types()
                      : sagaforge::fulfillment::make_fulfillment_logics(
                        sagaforge::fulfillment::fulfillment_config{}))
    types.push_back(t);
  auto node = sagaforge::node_runtime::start(sys, opts, std::move(types));
  if (!node) {
    std::fprintf(stderr, "sagaforge-node: cannot start: %s\n",
                 sagaforge::describe(node.error()).c_str());
    return 1;
  }
  spdlog::info("node up: data in {} ({} durability), {} shards", settings->data_dir,
               settings->durability_name, settings->shard_count);
  int rc = 0;
  if (demo) {
    sagaforge::demo_options d;
    d.entities = caf::get_or(cfg, "node.demo-entities", d.entities);
    d.commands = caf::get_or(cfg, "node.demo-commands", d.commands);
    rc = sagaforge::run_demo(**node, d);
    if (oopts.orders > 0) {
      std::printf("\norder demo: %lld orders (80%% succeed, 10%% out of stock, 10%% declined)\n",
                  static_cast<long long>(oopts.orders));
      rc |= orders.run(**node).exit_code();
    }
    sagaforge::redemption::workload_options r;
    r.redemptions = caf::get_or(cfg, "node.demo-redemptions", int64_t{2000});
    r.customers = std::max<int64_t>(1, r.redemptions / 5);
    if (r.redemptions > 0) {
      std::printf("\nloyalty demo: %lld redemptions\n", static_cast<long long>(r.redemptions));
      rc |= sagaforge::redemption::run_redemption_demo(**node, r);
    }
  } else {
    std::signal(SIGINT, [](int) { stop_requested = true; });
    std::signal(SIGTERM, [](int) { stop_requested = true; });
    while (!stop_requested && (*node)->context().pipeline().healthy())
      std::this_thread::sleep_for(std::chrono::milliseconds{100});
    if (!(*node)->context().pipeline().healthy())
      rc = 1;
  }
  (*node)->shutdown();
  spdlog::info("node stopped");
  return rc;
}
