// sagaforge-bench: the benchmarks, one subcommand each (`runtime`, `saga`, `http`; `saga
// --nodes N` drives local clusters of node processes). Figures go to stdout (human-readable,
// or one flat JSON object with --json); progress and logs go to stderr.
// docs/performance.md has the figures.
#include <cstdio>

#include <CLI/CLI.hpp>
#include <spdlog/sinks/stdout_color_sinks.h>
#include <spdlog/spdlog.h>

#include "bench/bench_options.hpp"
#include "bench/cluster_saga_bench.hpp"
#include "bench/http_bench.hpp"
#include "bench/recovery_bench.hpp"
#include "bench/saga_bench.hpp"
#include "bench/step_bench.hpp"

using namespace sagaforge::bench;

namespace {

void add_runtime_flags(CLI::App& cmd, bench_options& o) {
  cmd.add_option("--seconds", o.seconds, "measured seconds (after the warm-up)")
    ->check(CLI::Range(0.1, 3600.0));
  cmd.add_option("--durability", o.durability, "fsync | nosync | memory")
    ->check(CLI::IsMember({"fsync", "nosync", "memory"}));
  cmd.add_option("--entities", o.entities,
                 "ping-pong entities (pairs = N/2): 2 is workload (a), 10000 workload (b)")
    ->check(CLI::Range(uint64_t{2}, uint64_t{10'000'000}));
  cmd.add_flag("--json", o.json, "one flat JSON object on stdout");
  cmd.add_option("--data-dir", o.data_dir,
                 "scratch folder (default: a fresh folder next to the executable, i.e. on "
                 "the repository's disk)");
  cmd.add_flag("--keep-data", o.keep_data, "keep the scratch data (and reuse datasets)");
  cmd.add_option("--scheduler", o.scheduler,
                 "CAF scheduler: sharing (default 2 workers) | stealing (default 4) | single "
                 "(stealing, 1 worker)")
    ->check(CLI::IsMember({"sharing", "stealing", "single"}));
  cmd.add_option("--threads", o.threads, "CAF scheduler.max-threads (0: the policy's default)")
    ->check(CLI::Range(size_t{0}, size_t{64}));
  cmd.add_option("--warmup", o.warmup_s, "seconds before the measured window")
    ->check(CLI::Range(0.0, 600.0));
  cmd.add_option("--event-bytes", o.event_bytes, "serialized size of each event")
    ->check(CLI::Range(size_t{8}, size_t{1} << 20));
  cmd.add_option("--payload-bytes", o.payload_bytes, "padding in each Ping payload")
    ->check(CLI::Range(size_t{0}, size_t{1} << 20));
  cmd.add_option("--max-batch-steps", o.max_batch_steps, "sagaforge.commit.max-batch-steps")
    ->check(CLI::Range(int64_t{1}, int64_t{1000000}));
  cmd.add_option("--max-delay-us", o.max_delay_us, "sagaforge.commit.max-delay-us")
    ->check(CLI::Range(int64_t{0}, int64_t{1000000}));
  cmd.add_option("--max-queue-steps", o.max_queue_steps, "sagaforge.commit.max-queue-steps")
    ->check(CLI::Range(int64_t{1}, int64_t{10000000}));
  cmd.add_option("--shards", o.shards, "sagaforge.store.shard-count")
    ->check(CLI::Range(int64_t{1}, int64_t{65536}));
  cmd.add_option("--snapshot-every", o.snapshot_every,
                 "records between snapshots of the bench entity (0: never)");
  cmd.add_option("--retry-backoff-ms", o.retry_backoff_ms,
                 "sagaforge.retry.initial-backoff-ms (0: the runtime's default)")
    ->check(CLI::Range(int64_t{0}, int64_t{600000}));
  cmd.add_option("--raw-seconds", o.raw_seconds, "seconds of the raw LMDB baseline")
    ->check(CLI::Range(0.1, 600.0));
  cmd.add_flag("--no-raw", o.no_raw, "skip the raw LMDB baseline");
  cmd.add_option("--recovery", o.recovery,
                 "instead of the step workload: journal (1 entity, --events) | entities "
                 "(--stored-entities, snapshotted) | entities-nosnap (journal only) | all")
    ->check(CLI::IsMember({"journal", "entities", "entities-nosnap", "all"}));
  cmd.add_option("--events", o.events, "journaled events of the recovery entity")
    ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  cmd.add_option("--stored-entities", o.stored_entities, "entities stored for --recovery entities")
    ->check(CLI::Range(uint64_t{1}, uint64_t{100'000'000}));
  cmd.add_option("--activate", o.activate,
                 "entities activated to time activation and RSS per idle entity")
    ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}));
  cmd.add_option("--activate-nosnap", o.activate_nosnap,
                 "entities activated in entities-nosnap (each replays its shard's log)")
    ->check(CLI::Range(uint64_t{1}, uint64_t{10'000'000}));
  cmd.add_option("--phase", o.phase, "internal: generate a recovery dataset (child process)")
    ->group("");
}

} // namespace

int main(int argc, char** argv) {
  // spdlog's default logger writes to stdout; the figures own stdout.
  spdlog::set_default_logger(spdlog::stderr_color_mt("bench"));
  spdlog::set_level(spdlog::level::warn);
  CLI::App app{"sagaforge benchmarks; see docs/performance.md"};
  app.require_subcommand(1);
  bench_options o;
  auto* runtime = app.add_subcommand("runtime", "durable steps/s, latency, recovery, memory");
  add_runtime_flags(*runtime, o);
  saga_options so;
  auto* saga = app.add_subcommand(
    "saga", "end-to-end sagas/s and latency (orders or redemptions); --nodes N: through a "
            "cluster of N processes vs 1");
  saga->add_option("--mode", so.mode, "order | redemption (--nodes: also both)")
    ->capture_default_str();
  saga->add_option("--sagas", so.sagas, "sagas to run")->capture_default_str();
  saga->add_option("--concurrency", so.concurrency, "closed loop: sagas in flight")
    ->capture_default_str();
  saga->add_option("--rate", so.rate, "open loop: offered sagas/s (0: closed loop)");
  saga->add_option("--durability", so.durability, "fsync | nosync | memory")
    ->capture_default_str();
  saga->add_option("--shards", so.shards, "sagaforge.store.shard-count (log shards)")
    ->capture_default_str();
  saga->add_option("--max-delay-us", so.max_delay_us,
                   "sagaforge.commit.max-delay-us (group-commit linger)")
    ->capture_default_str();
  saga->add_option("--data-dir", so.data_dir, "store folder (default: a scratch folder)");
  saga->add_flag("--json", so.json, "one flat JSON object on stdout");
  saga->add_flag("--no-probe", so.no_probe,
                 "skip the host probe (for profilers; no host_* keys are printed)");
  // Cluster mode (bench/cluster_saga_bench.hpp): real processes through cluster/local.
  cluster_saga_options co;
  co.node_bin = default_node_bin();
  co.script = default_cluster_script();
  auto* nodes = saga->add_option(
    "--nodes", co.nodes,
    "cluster mode: the demo through a cluster of N member processes, then of 1, same run "
    "(--mode order|redemption|both, default both; --sagas default 2000)");
  saga->add_option("--redemptions", co.redemptions,
                   "cluster mode, --mode both: redemptions (default: --sagas)")
    ->needs(nodes);
  saga->add_option("--port-base", co.port_base,
                   "cluster mode: SAGAFORGE_PORT_BASE of the N-member cluster (the 1-member "
                   "one: +100)")
    ->needs(nodes)
    ->capture_default_str();
  saga->add_option("--etcd-port", co.etcd_port,
                   "cluster mode: SAGAFORGE_ETCD_PORT of the N-member cluster (the 1-member "
                   "one: +10)")
    ->needs(nodes)
    ->capture_default_str();
  saga->add_option("--timeout-s", co.timeout_s, "cluster mode: the demo's deadline per phase")
    ->needs(nodes)
    ->capture_default_str();
  saga->add_option("--node-bin", co.node_bin, "cluster mode: sagaforge-node")
    ->needs(nodes)
    ->capture_default_str();
  saga->add_option("--cluster-script", co.script, "cluster mode: cluster/local")
    ->needs(nodes)
    ->capture_default_str();
  saga->add_option("--node-args", co.node_args,
                   "cluster mode: extra options for every node (SAGAFORGE_NODE_ARGS)")
    ->needs(nodes);
  saga->add_flag("--keep-data", co.keep_data,
                 "cluster mode: keep the clusters' temp folders (logs, data)")
    ->needs(nodes);
  for (auto* in_process_only : {"--concurrency", "--rate", "--max-delay-us", "--data-dir"})
    saga->get_option(in_process_only)->excludes(nodes);
  http_bench_options ho;
  auto* http = app.add_subcommand("http", "orders through the HTTP face vs in-process, same run");
  http->add_option("--orders", ho.orders, "orders per phase")->capture_default_str();
  http->add_option("--connections", ho.connections, "keep-alive connections (= sagas in flight)")
    ->check(CLI::Range(int64_t{1}, int64_t{1000}))
    ->capture_default_str();
  http->add_option("--durability", ho.durability, "fsync | nosync | memory")
    ->check(CLI::IsMember({"fsync", "nosync", "memory"}))
    ->capture_default_str();
  http->add_flag("--skip-inprocess", ho.skip_inprocess, "only the HTTP phase");
  http->add_flag("--json", ho.json, "one flat JSON object on stdout");
  CLI11_PARSE(app, argc, argv);
  if (http->parsed())
    return run_http_bench(ho);
  if (saga->parsed() && nodes->count() > 0) {
    co.mode = saga->get_option("--mode")->count() > 0 ? so.mode : "both";
    auto sagas = saga->get_option("--sagas")->count() > 0 ? so.sagas : int64_t{2000};
    if (co.mode == "redemption")
      co.redemptions = sagas;
    else {
      co.orders = sagas;
      if (saga->get_option("--redemptions")->count() == 0)
        co.redemptions = sagas;
    }
    co.durability = so.durability;
    co.shards = so.shards;
    co.json = so.json;
    co.no_probe = so.no_probe;
    return run_cluster_saga_bench(co);
  }
  if (saga->parsed())
    return run_saga_bench(so);
  if (runtime->parsed()) {
    if (!o.phase.empty())
      return generate_dataset(o);
    if (!o.recovery.empty())
      return run_recovery_bench(o);
    return run_step_bench(o);
  }
  return 2;
}
