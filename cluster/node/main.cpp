// sagaforge-node: one node process. Checks every option (file, then command line) before
// anything starts, opens the store (which locks the data folder for the process's life),
// and runs until SIGINT/SIGTERM or a store failure, or with --node.demo drives the demo
// workload and exits with its verdict. Exit codes (docs/operations.md): 0 normal stop,
// 1 failure while running (store failed, an invariant violated, the demo's deadline passed),
// 2 refused to start (configuration, data folder), 3 refused to start: store damaged.
#include <csignal>
#include <cstdio>
#include <thread>

#include <spdlog/spdlog.h>

#include "caf/all.hpp"
#include "caf/io/all.hpp"
#include "caf/openssl/all.hpp"

#include "actors/counter/counter.hpp"
#include "actors/fulfillment/fulfillment_config.hpp"
#include "actors/fulfillment/order_workload.hpp"
#include "actors/redemption/loyalty_config.hpp"
#include "actors/redemption/redemption_workload.hpp"
#include "cluster/node/demo_workload.hpp"
#include "cluster/control/make_control_plane.hpp"
#include "cluster/node/node_options.hpp"
#include "cluster/transport/cluster_member.hpp"
#include "cluster/transport/peer_identity.hpp"
#include "cluster/transport/tls_check.hpp"
#include "http/node_faces.hpp"
#include "runtime/errors.hpp"
#include "runtime/node_runtime.hpp"

namespace {

std::atomic<bool> stop_requested{false};

constexpr int exit_failed = 1;
constexpr int exit_refused = 2;
constexpr int exit_damaged = 3;

int refuse(const char* what, const caf::error& err) {
  std::fprintf(stderr, "sagaforge-node: %s: %s\n", what, sagaforge::describe(err).c_str());
  return err == sagaforge::runtime_errc::store_damaged ? exit_damaged : exit_refused;
}

/// The demo's three phases; each has a deadline and stops early when the store fails.
int run_demo(sagaforge::node_runtime& node, const sagaforge::node::demo_settings& d,
             sagaforge::fulfillment::order_workload& orders) {
  sagaforge::demo_options c;
  c.entities = d.entities;
  c.commands = d.commands;
  c.timeout_s = d.timeout_s;
  int rc = sagaforge::run_demo(node, c);
  if (d.orders > 0 && node.context().pipeline().healthy()) {
    std::printf("\norder demo: %lld orders (80%% succeed, 10%% out of stock, 10%% declined)\n",
                static_cast<long long>(d.orders));
    rc |= orders.run(node).exit_code();
  }
  if (d.redemptions > 0 && node.context().pipeline().healthy()) {
    sagaforge::redemption::workload_options r;
    r.redemptions = d.redemptions;
    r.customers = std::max<int64_t>(1, d.redemptions / 5);
    r.deadline_ms = d.timeout_s * 1000;
    // In a cluster the journals are spread over the members: check entity states only.
    r.check_journals = node.context().remote() == nullptr;
    std::printf("\nloyalty demo: %lld redemptions\n", static_cast<long long>(d.redemptions));
    rc |= sagaforge::redemption::run_redemption_demo(node, r);
  }
  return rc;
}

/// Cluster mode: the certificates checked before CAF starts, CAF's network and TLS modules
/// loaded, heartbeats on, and other clusters' nodes refused by application id.
caf::error prepare_cluster(sagaforge::node::node_config& cfg,
                           const sagaforge::runtime_settings& s) {
  sagaforge::cluster::tls_files files{cfg.openssl_certificate, cfg.openssl_key,
                                       cfg.openssl_cafile, cfg.openssl_passphrase};
  if (auto err = sagaforge::cluster::check_node_certificates(files, s.cluster_node_id))
    return err;
  std::signal(SIGPIPE, SIG_IGN);  // a refused TLS peer must not kill the node (cluster notes)
  cfg.load<caf::io::middleman>();
  cfg.load<caf::openssl::manager>();
  using ms = std::chrono::milliseconds;
  cfg.set("middleman.heartbeat-interval", caf::timespan{ms{s.cluster_heartbeat_interval_ms}});
  cfg.set("middleman.connection-timeout", caf::timespan{ms{s.cluster_connection_timeout_ms}});
  cfg.set("middleman.app-identifiers",
          std::vector<std::string>{"sagaforge/" + s.cluster_name});
  return {};
}

void wait_for_signal(sagaforge::node_runtime& node) {
  std::signal(SIGINT, [](int) { stop_requested = true; });
  std::signal(SIGTERM, [](int) { stop_requested = true; });
  while (!stop_requested && node.context().pipeline().healthy())
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
}

} // namespace

int main(int argc, char** argv) {
  sagaforge::node::node_config cfg;
  if (auto err = cfg.parse(argc, argv)) {
    std::fprintf(stderr, "sagaforge-node: bad command line or config file: %s\n",
                 caf::to_string(err).c_str());
    return exit_refused;
  }
  if (cfg.cli_helptext_printed)
    return 0;
  if (auto err = sagaforge::node::validate_node_config(cfg))
    return refuse("invalid configuration", err);
  auto settings = *sagaforge::load_runtime_settings(cfg);
  auto demo = *sagaforge::node::load_demo_settings(cfg);
  bool clustered = settings.cluster_mode == "etcd";
  if (clustered && settings.cluster_role == "client")
    settings.durability_name = "memory";  // a client node owns no shard: nothing to keep
  if (clustered)
    if (auto err = prepare_cluster(cfg, settings))
      return refuse("invalid cluster configuration", err);
  spdlog::set_level(spdlog::level::from_str(settings.log_level));
  spdlog::set_pattern("%Y-%m-%d %H:%M:%S.%e %^%l%$ %v");
  caf::actor_system sys{cfg};
  sagaforge::node_runtime::options opts;
  opts.settings = settings;
  sagaforge::fulfillment::order_workload_options oopts;
  oopts.orders = demo.orders;
  oopts.timeout_s = demo.timeout_s;
  // In a cluster the notification entities run where their shards are: read outcomes from
  // the orders instead of the local notification tap.
  oopts.poll_outcomes = clustered;
  // The faces: the catalog read model the order entity checks SKUs against, the HTTP face.
  sagaforge::http::node_faces faces;
  sagaforge::fulfillment::fulfillment_config fcfg;
  fcfg.sku_known = faces.sku_check();
  sagaforge::fulfillment::order_workload orders{fcfg, oopts};
  std::vector<sagaforge::entity_logic_ptr> types{sagaforge::counter::make_counter_logic(),
                                                 faces.catalog_logic()};
  for (auto& t : sagaforge::loyalty::make_loyalty_logic())
    types.push_back(t);
  // The demo's order types carry its catalog and report outcomes to the driver.
  // A cluster member serves the orders a client node's demo sends: it knows the demo's
  // catalog too (the same deterministic SKUs).
  for (auto& t : demo.enabled || clustered ? orders.entity_types()
                              : sagaforge::fulfillment::make_fulfillment_logics(fcfg))
    types.push_back(t);
  auto opened = sagaforge::node_runtime::open_store(settings);
  if (!opened)
    return refuse("cannot start", opened.error());
  opts.given_store = opened->st;
  std::unique_ptr<sagaforge::cluster::cluster_member> member;
  if (clustered) {
    // An https etcd endpoint is reached with the node's own certificate (client auth
    // against the cluster CA, as the data plane).
    auto control = sagaforge::cluster::make_control_plane(
      settings, {cfg.openssl_certificate, cfg.openssl_key, cfg.openssl_cafile});
    if (!control)
      return refuse("cannot join the cluster", control.error());
    auto identity = sagaforge::cluster::peer_identity::load(
      {cfg.openssl_certificate, cfg.openssl_key, cfg.openssl_cafile, cfg.openssl_passphrase},
      settings.cluster_node_id);
    if (!identity)
      return refuse("cannot join the cluster", identity.error());
    auto joined = sagaforge::cluster::cluster_member::join(sys, settings, opened->store_id,
                                                           *control, true, *identity);
    if (!joined)
      return refuse("cannot join the cluster", joined.error());
    member = std::move(*joined);
    member->configure(opts);
  }
  auto node = sagaforge::node_runtime::start(sys, opts, std::move(types));
  if (!node)
    return refuse("cannot start", node.error());
  if (member) {
    member->attach(**node);
    faces.set_cluster_view(member->view_provider());
  }
  spdlog::info("node up: data in {} ({} durability), {} shards", settings.data_dir,
               settings.durability_name, settings.shard_count);
  if (auto err = faces.start(**node, settings, caf::get_or(cfg, "node.seed-demo", false))) {
    (*node)->shutdown();
    return refuse("cannot start the HTTP face", err);
  }
  int rc = 0;
  if (demo.enabled)
    rc = run_demo(**node, demo, orders);
  else
    wait_for_signal(**node);
  auto& pipeline = (*node)->context().pipeline();
  if (!pipeline.healthy()) {
    std::fprintf(stderr, "sagaforge-node: the store failed, the node stops: %s\n",
                 pipeline.failure().c_str());
    rc = exit_failed;
  }
  faces.stop();  // no new requests; those in flight finish before the runtime stops
  (*node)->shutdown();
  if (member)
    member->leave();
  spdlog::info("node stopped");
  return rc == 0 ? 0 : exit_failed;
}
