// cluster saga benchmark: checks the options, runs the N-member configuration and then the
// 1-member one (cluster_saga_run), and reports both and their ratios through `report`.
#include "bench/cluster_saga_bench.hpp"

#include <unistd.h>

#include <cmath>
#include <cstdio>
#include <filesystem>
#include <limits>

#include "bench/cluster_saga_run.hpp"
#include "bench/host_probe.hpp"
#include "bench/local_cluster.hpp"
#include "bench/report.hpp"

namespace sagaforge::bench {

namespace {

constexpr double nan_v = std::numeric_limits<double>::quiet_NaN();

double ratio(double a, double b) {
  return b > 0 && std::isfinite(a) && std::isfinite(b) ? a / b : nan_v;
}

/// An empty string when the options can run; else what is wrong.
std::string check(const cluster_saga_options& o) {
  namespace fs = std::filesystem;
  if (o.nodes < 1 || o.nodes > 32)
    return "--nodes must be 1 ... 32 (a cluster of N members, then one of 1)";
  if (o.mode != "order" && o.mode != "redemption" && o.mode != "both")
    return "--mode must be order, redemption or both";
  if (o.mode != "redemption" && (o.orders < 1 || o.orders > 200000))
    return "orders (--sagas) must be 1 ... 200000";
  if (o.mode != "order" && (o.redemptions < 1 || o.redemptions > 200000))
    return "redemptions (--sagas in --mode redemption, else --redemptions) must be 1 ... 200000";
  if (o.durability != "fsync" && o.durability != "nosync" && o.durability != "memory")
    return "--durability must be fsync, nosync or memory";
  if (o.shards < 1 || o.shards > 65536)
    return "--shards must be 1 ... 65536";
  // The second cluster sits 100 ports higher; the data plane's 47400+K must stay a port.
  if (o.port_base < 0 || o.port_base + 100 + 47400 + o.nodes > 65535)
    return "--port-base must be 0 ... " + std::to_string(65535 - 47400 - 100 - o.nodes);
  if (o.etcd_port < 1024 || o.etcd_port + 11 > 65535)
    return "--etcd-port must be 1024 ... 65524 (it and +1, +10, +11 are used)";
  if (o.timeout_s < 1 || o.timeout_s > 86400)
    return "--timeout-s must be 1 ... 86400";
  if (::access(o.node_bin.c_str(), X_OK) != 0)
    return "no executable node binary at " + o.node_bin
           + " (build it: ninja -C build sagaforge-node, or pass --node-bin)";
  if (!fs::is_regular_file(o.script))
    return "no cluster script at " + o.script + " (pass --cluster-script)";
  return {};
}

void add_phase(report& rep, const std::string& p, const char* what, const phase_figures& ph,
               const std::string& unit) {
  auto k = p + what;
  rep.add(k + "_done", static_cast<double>(ph.done), std::string{what} + " finished");
  rep.add(k + "_per_s", ph.per_s, unit + "/s", 1);
  rep.add(k + "_p50_ms", ph.p50_ms, std::string{what} + " p50 (ms)", 1);
  rep.add(k + "_p99_ms", ph.p99_ms, std::string{what} + " p99 (ms)", 1);
  rep.add(k + "_seconds", ph.seconds, std::string{what} + ": measured seconds", 2);
  rep.add(k + "_saga_mean_ms", ph.saga_mean_ms(),
          std::string{what} + ": mean " + ph.saga_type + " saga, members' clocks (ms)", 1);
  auto t = ph.total();  // NaN (printed n/a, null) where a node could not be read
  rep.add(k + "_frames", t.frames, std::string{what} + ": data-plane frames sent");
  rep.add(k + "_frames_per_s", ratio(t.frames, ph.seconds),
          std::string{what} + ": frames/s (frames / measured s)", 0);
  rep.add(k + "_items_per_frame", ratio(t.items, t.frames),
          std::string{what} + ": items (envelopes, acks) per frame", 2);
  rep.add(k + "_bytes_per_item", ratio(t.bytes, t.items), std::string{what} + ": bytes per item",
          1);
  rep.add(k + "_cpu_pct", ratio(t.cpu_s, ph.window_s) * 100,
          std::string{what} + ": CPU % of members+client (200 = 2 cores)", 0);
  char counted[128];
  if (!ph.client_read)
    std::snprintf(counted, sizeof counted, "frames, items (as members received them); bytes no");
  else if (t.bytes_estimated)
    std::snprintf(counted, sizeof counted,
                  "yes; bytes scaled from its reading %.2f s before the end (it had exited)",
                  ph.client_lag_s);
  else
    std::snprintf(counted, sizeof counted, "yes");
  rep.add(k + "_client_counted", counted, std::string{what} + ": client's own traffic counted");
}

void add_config(report& rep, const std::string& p, const config_figures& f,
                const cluster_saga_options& o) {
  rep.section(std::to_string(f.members) + (f.members == 1 ? " member" : " members")
              + " (+ etcd + client node c1)");
  rep.add(p + "members", f.members, "members");
  if (o.mode != "redemption")
    add_phase(rep, p, "orders", f.orders, "orders");
  if (o.mode != "order")
    add_phase(rep, p, "redemptions", f.redemptions, "redemptions");
  rep.add(p + "loadavg_1m_before", f.loadavg_before, "load average (1 min) before", 2);
  rep.add(p + "up_s", f.up_s, "cluster/local up took (s)", 1);
  rep.add(p + "client_exit", f.client_exit, "demo exit code (0: all finished, invariants held)");
  if (!f.error.empty())
    rep.add(p + "error", f.error, "error");
}

void add_ratios(report& rep, const char* what, const phase_figures& a, const phase_figures& b) {
  std::string k = std::string{"ratio_"} + what;
  rep.add(k + "_per_s", ratio(a.per_s, b.per_s), std::string{what} + "/s", 2);
  rep.add(k + "_p50", ratio(a.p50_ms, b.p50_ms), std::string{what} + " p50", 2);
  rep.add(k + "_p99", ratio(a.p99_ms, b.p99_ms), std::string{what} + " p99", 2);
  rep.add(k + "_saga_mean", ratio(a.saga_mean_ms(), b.saga_mean_ms()),
          std::string{what} + ": mean saga on the members", 2);
  auto ta = a.total(), tb = b.total();
  rep.add(k + "_frames_per_s", ratio(ratio(ta.frames, a.seconds), ratio(tb.frames, b.seconds)),
          std::string{what} + ": frames/s", 2);
  rep.add(k + "_items_per_frame", ratio(ratio(ta.items, ta.frames), ratio(tb.items, tb.frames)),
          std::string{what} + ": items per frame", 2);
  rep.add(k + "_bytes_per_item", ratio(ratio(ta.bytes, ta.items), ratio(tb.bytes, tb.items)),
          std::string{what} + ": bytes per item", 2);
  auto r = ratio(a.per_s, b.per_s);
  rep.add(std::string{"target_"} + what, std::isfinite(r) ? (r >= 0.5 ? "met" : "missed") : "n/a",
          std::string{what} + "/s ratio >= 0.5");
}

} // namespace

std::string default_node_bin() {
  return SAGAFORGE_NODE_BIN_DEFAULT;
}

std::string default_cluster_script() {
  return std::string{SAGAFORGE_SOURCE_DIR} + "/cluster/local";
}

int run_cluster_saga_bench(const cluster_saga_options& o) {
  if (auto err = check(o); !err.empty()) {
    std::fprintf(stderr, "sagaforge-bench saga --nodes: %s\n", err.c_str());
    return 2;
  }
  install_interrupt_handlers();
  progress("saga --nodes %lld: mode %s, %lld orders, %lld redemptions, %s members, %lld shards",
           static_cast<long long>(o.nodes), o.mode.c_str(),
           static_cast<long long>(o.mode == "redemption" ? 0 : o.orders),
           static_cast<long long>(o.mode == "order" ? 0 : o.redemptions), o.durability.c_str(),
           static_cast<long long>(o.shards));
  auto probe_before = o.no_probe ? host_probe_sample{} : probe_host();
  auto n = run_configuration(o, static_cast<int>(o.nodes), o.port_base, o.etcd_port);
  config_figures one;
  one.members = 1;
  if (!n.error.empty())
    one.error = "not run: the first configuration failed";  // no ratio to compute
  else if (!interrupted())
    one = run_configuration(o, 1, o.port_base + 100, o.etcd_port + 10);
  if (interrupted()) {
    std::fprintf(stderr, "sagaforge-bench saga --nodes: interrupted; the clusters are stopped\n");
    return 130;
  }
  auto probe = o.no_probe ? host_probe_sample{} : mean(probe_before, probe_host());
  report rep;
  rep.add("nodes", static_cast<double>(o.nodes), "members of the first cluster");
  rep.add("mode", o.mode, "demo phases");
  rep.add("durability", o.durability, "members' durability");
  rep.add("shards", static_cast<double>(o.shards), "shards");
  rep.add("concurrency", 512, "sagas in flight (the demo's closed loop)");
  rep.add("latency_note",
          std::string{"the client learns outcomes by polling: orders every >= 100 ms, 128 a "
                      "pass, so order latency includes the poll wait and orders/s is bounded "
                      "by the poll; redemptions are found settled by a 1 s poll, so "
                      "redemptions/s is bounded by 512 / (1 s + latency), their latency (the "
                      "saga's own finish time) is not; *_saga_mean_ms is the members' own "
                      "mean saga time, no polling in it"},
          "measurement");
  add_config(rep, "cluster_", n, o);
  add_config(rep, "single_", one, o);
  rep.section(std::to_string(o.nodes) + " members / 1 member, same run");
  if (o.mode != "redemption")
    add_ratios(rep, "orders", n.orders, one.orders);
  if (o.mode != "order")
    add_ratios(rep, "redemptions", n.redemptions, one.redemptions);
  if (!o.no_probe) {
    rep.add("host_probe_ns", probe.one_thread_ns,
            "host probe, ns/op (limits.md: 553; before+after / 2)", 1);
    rep.add("host_speed", limits_probe_ns / probe.one_thread_ns,
            "host speed vs limits.md (553 ns / probe)", 2);
  }
  bool ok = n.error.empty() && one.error.empty();
  rep.add("invariants_ok", ok ? "yes" : "no", "both configurations ran, every invariant held");
  rep.print(o.json);
  return ok ? 0 : 1;
}

} // namespace sagaforge::bench
