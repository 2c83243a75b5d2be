// saga benchmark: drives the domains' own workload drivers (actors/fulfillment,
// actors/redemption) against a node on a scratch LMDB store and reports their figures.
#include "bench/saga_bench.hpp"

#include <unistd.h>

#include <filesystem>

#include "caf/all.hpp"

#include "actors/fulfillment/fulfillment_config.hpp"
#include "actors/fulfillment/order_workload.hpp"
#include "actors/redemption/loyalty_config.hpp"
#include "actors/redemption/redemption_workload.hpp"
#include "bench/host_probe.hpp"
#include "bench/proc_stats.hpp"
#include "bench/report.hpp"
#include "runtime/errors.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/runtime_config.hpp"

namespace sagaforge::bench {

namespace {

struct saga_figures {
  double sagas_per_s = 0, p50_ms = 0, p99_ms = 0, p999_ms = 0, steps_per_saga = 0;
  double cpu_per_saga_us = 0, cpu_pct = 0;  // redemptions only: the workload measures them
  double steps_per_commit = 0;              // redemptions only
  double activations_per_saga = 0;          // redemptions only: entity activations / sagas
  int64_t finished = 0, succeeded = 0;
  bool ok = false;
};

saga_figures run_orders(node_runtime::options nopts, caf::actor_system& sys,
                        const saga_options& o) {
  fulfillment::fulfillment_config cfg;
  cfg.points_type = "";  // no loyalty types on this node
  fulfillment::order_workload_options wo;
  wo.orders = o.sagas;
  wo.concurrency = o.concurrency;
  wo.rate_per_s = o.rate;
  wo.print = false;
  fulfillment::order_workload w{cfg, wo};
  auto node = node_runtime::start(sys, nopts, w.entity_types());
  if (!node)
    throw std::runtime_error(describe(node.error()));
  auto r = w.run(**node);
  (*node)->shutdown();
  saga_figures f{r.sagas_per_s, r.p50_ms, r.p99_ms, r.p999_ms, r.steps_per_saga};
  f.finished = r.orders - r.unfinished;
  f.succeeded = r.confirmed;
  f.ok = r.exit_code() == 0;
  return f;
}

saga_figures run_redemptions(node_runtime::options nopts, caf::actor_system& sys,
                             const saga_options& o) {
  auto node = node_runtime::start(sys, nopts, loyalty::make_loyalty_logic());
  if (!node)
    throw std::runtime_error(describe(node.error()));
  redemption::workload_options wo;
  wo.redemptions = o.sagas;
  wo.customers = std::max<int64_t>(1, o.sagas / 5);
  wo.concurrency = o.concurrency;
  wo.rate_per_s = static_cast<double>(o.rate);
  auto r = redemption::run_redemption_workload(**node, wo);
  auto activations = (*node)->context().counters().activations.load();
  (*node)->shutdown();
  if (!r)
    throw std::runtime_error(describe(r.error()));
  saga_figures f{r->redemptions_per_s, r->p50_ms, r->p99_ms, r->p999_ms, r->steps_per_saga};
  f.finished = r->issued - r->unsettled;
  f.succeeded = r->by_status.count("Completed") ? r->by_status.at("Completed") : 0;
  f.steps_per_commit = r->steps_per_commit;
  if (r->issued > 0)
    f.activations_per_saga = static_cast<double>(activations) / static_cast<double>(r->issued);
  auto settled = static_cast<double>(r->issued - r->rejected - r->unsettled);
  if (settled > 0 && r->seconds > 0) {
    f.cpu_per_saga_us = r->cpu_seconds / settled * 1e6;
    f.cpu_pct = r->cpu_seconds / r->seconds * 100;
  }
  f.ok = r->ok;
  return f;
}

} // namespace

int run_saga_bench(const saga_options& o) {
  if (o.mode != "order" && o.mode != "redemption") {
    std::fprintf(stderr, "sagaforge-bench saga: --mode must be order or redemption\n");
    return 2;
  }
  auto dir = o.data_dir.empty()
               ? (std::filesystem::temp_directory_path()
                  / ("sagaforge-saga-bench-" + std::to_string(::getpid())))
                   .string()
               : o.data_dir;
  std::filesystem::remove_all(dir);
  runtime_system_config cfg;
  caf::actor_system sys{cfg};
  node_runtime::options nopts;
  nopts.settings.data_dir = dir;
  nopts.settings.durability_name = o.durability;
  nopts.settings.shard_count = o.shards;
  nopts.settings.commit_max_delay_us = o.max_delay_us;
  progress("saga: %lld %s sagas, %s, %s, data in %s", static_cast<long long>(o.sagas),
           o.mode.c_str(), o.durability.c_str(),
           o.rate > 0 ? ("open loop at " + std::to_string(o.rate) + "/s").c_str()
                      : ("closed loop, " + std::to_string(o.concurrency) + " in flight").c_str(),
           dir.c_str());
  auto load_before = load_average_1m();
  auto probe_before = o.no_probe ? host_probe_sample{} : probe_host();
  saga_figures f;
  try {
    f = o.mode == "order" ? run_orders(nopts, sys, o) : run_redemptions(nopts, sys, o);
  } catch (const std::exception& e) {
    std::fprintf(stderr, "sagaforge-bench saga: %s\n", e.what());
    return 1;
  }
  auto probe = o.no_probe ? host_probe_sample{} : mean(probe_before, probe_host());
  if (o.data_dir.empty())
    std::filesystem::remove_all(dir);
  report rep;
  rep.add("mode", o.mode, "saga");
  rep.add("durability", o.durability, "durability");
  rep.add("offered_rate_per_s", static_cast<double>(o.rate), "offered rate (0: closed loop)");
  rep.add("sagas", static_cast<double>(f.finished), "sagas finished");
  rep.add("succeeded", static_cast<double>(f.succeeded), "sagas that succeeded");
  rep.add("sagas_per_s", f.sagas_per_s, "sagas/s", 1);
  rep.add("p50_ms", f.p50_ms, "p50 end-to-end (ms)", 1);
  rep.add("p99_ms", f.p99_ms, "p99 end-to-end (ms)", 1);
  rep.add("p999_ms", f.p999_ms, "p99.9 end-to-end (ms)", 1);
  rep.add("steps_per_saga", f.steps_per_saga, "durable steps per saga", 1);
  if (f.steps_per_commit > 0)
    rep.add("steps_per_commit", f.steps_per_commit, "durable steps per group commit", 1);
  if (f.activations_per_saga > 0)
    rep.add("activations_per_saga", f.activations_per_saga,
            "entity activations per saga (sagas, accounts and rewards)", 2);
  if (f.cpu_per_saga_us > 0) {
    rep.add("cpu_per_saga_us", f.cpu_per_saga_us, "CPU per saga, whole process (us)", 1);
    rep.add("cpu_pct", f.cpu_pct, "CPU used in the window (200 = 2 cores)", 1);
  }
  rep.add("peak_rss_kb", static_cast<double>(read_memory().peak_rss_kb), "peak RSS (KiB)");
  rep.add("loadavg_1m_before", load_before, "load average (1 min) before the run", 2);
  if (!o.no_probe) {
    rep.add("host_probe_ns", probe.one_thread_ns,
            "host probe, ns/op (limits.md: 553; before+after / 2)", 1);
    rep.add("host_speed", limits_probe_ns / probe.one_thread_ns,
            "host speed vs limits.md (553 ns / probe)", 2);
    rep.add("host_probe2_ns", probe.two_threads_ns, "host probe on 2 threads at once, ns/op", 1);
  }
  rep.add("invariants_ok", f.ok ? "yes" : "no", "every invariant held");
  rep.print(o.json);
  return f.ok ? 0 : 1;
}

} // namespace sagaforge::bench
