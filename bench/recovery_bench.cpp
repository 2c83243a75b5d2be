// recovery_bench implementation: make (or reuse) each dataset in a child process, then
// start a fresh node on it and time start-up, recovery and activation.
#include "bench/recovery_bench.hpp"

#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <climits>
#include <filesystem>
#include <thread>

#include "caf/all.hpp"

#include "bench.pb.h"
#include "bench/bench_entity.hpp"
#include "bench/proc_stats.hpp"
#include "bench/report.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/messages.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/record_codec.hpp"
#include "runtime/recovery.hpp"

extern char** environ;

namespace sagaforge::bench {

namespace {

/// Runs this executable with --phase `kind` (its stdout goes to our stderr).
bool spawn_generator(const bench_options& o, const std::string& kind, const std::string& root) {
  char exe[PATH_MAX];
  auto n = readlink("/proc/self/exe", exe, sizeof exe - 1);
  if (n <= 0)
    return false;
  exe[n] = '\0';
  auto s = scheduler_of(o);
  std::vector<std::string> args = {exe, "runtime", "--phase", kind, "--data-dir", root,
                                   "--keep-data", "--durability", "nosync",
                                   "--events", std::to_string(o.events),
                                   "--stored-entities", std::to_string(o.stored_entities),
                                   "--activate", std::to_string(o.activate),
                                   "--event-bytes", std::to_string(o.event_bytes),
                                   "--shards", std::to_string(o.shards),
                                   "--scheduler", o.scheduler,
                                   "--threads", std::to_string(o.threads)};
  std::vector<char*> argv;
  for (auto& a : args)
    argv.push_back(a.data());
  argv.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_adddup2(&fa, 2, 1);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, exe, &fa, nullptr, argv.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return false;
  int status = 0;
  waitpid(pid, &status, 0);
  return WIFEXITED(status) && WEXITSTATUS(status) == 0;
}

/// The dataset folder, generated first unless a finished one is there (--keep-data reuse).
std::string ensure_dataset(const bench_options& o, scratch_dir& scratch, const std::string& kind) {
  auto name = dataset_name(o, kind);
  auto dir = scratch.sub(name);
  if (std::filesystem::exists(dir + "/DONE")) {
    progress("reusing dataset %s", dir.c_str());
    return dir;
  }
  remove_tree(dir);
  auto t0 = now_s();
  progress("generating dataset %s (child process, nosync)", dir.c_str());
  if (!spawn_generator(o, kind, scratch.path())) {
    progress("generating %s failed", name.c_str());
    std::exit(1);
  }
  progress("dataset %s generated in %.1f s", name.c_str(), now_s() - t0);
  return dir;
}

/// A node started on a stored dataset, in this (fresh) process.
struct measured_node {
  std::unique_ptr<caf::actor_system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<node_runtime> node;
  double start_s = 0;
  double start_cpu_s = 0;  // the scan runs in the calling thread

  measured_node(const bench_options& o, store_ptr st, entity_logic_ptr logic) {
    cfg = make_caf_config(o);
    sys = std::make_unique<caf::actor_system>(*cfg);
    node_runtime::options nopts;
    nopts.settings = make_settings(o, "");
    nopts.settings.max_active_entities = 100'000'000;
    nopts.given_store = std::move(st);
    nopts.run_sweeper = false;
    auto t0 = now_s();
    auto c0 = thread_cpu_s();
    auto n = node_runtime::start(*sys, nopts, {std::move(logic)});
    start_s = now_s() - t0;
    start_cpu_s = thread_cpu_s() - c0;
    if (!n) {
      progress("cannot start the node: %s", describe(n.error()).c_str());
      std::exit(1);
    }
    node = std::move(*n);
  }

  ~measured_node() {
    stop_node(*sys, node);
    sys.reset();
  }
};

/// Offline passes over the entity's shard (no actors): where recovery time goes.
void journal_breakdown(report& r, store& st, const bench_options& o, const std::string& ref,
                       uint64_t last_log_seq) {
  auto shard = shard_of(ref, static_cast<uint32_t>(o.shards));
  auto from = log_key(shard, 1);
  auto in_shard = [&](std::string_view k) {
    return is_log_key(k) && log_key_shard(k) == shard && log_key_seq(k) <= last_log_seq;
  };
  uint64_t n = 0, bytes = 0;
  auto t0 = thread_cpu_s();
  (void)st.scan(table::log, from, [&](std::string_view k, std::string_view v) {
    if (!in_shard(k))
      return false;
    ++n;
    bytes += v.size();
    return true;
  });
  auto scan_s = thread_cpu_s() - t0;
  t0 = thread_cpu_s();
  uint64_t mine = 0;
  (void)st.scan(table::log, from, [&](std::string_view k, std::string_view v) {
    if (!in_shard(k))
      return false;
    auto h = decode_log_header(v);
    mine += h && h->ref == ref ? 1 : 0;
    return true;
  });
  auto header_s = thread_cpu_s() - t0;
  t0 = thread_cpu_s();
  (void)st.scan(table::log, from, [&](std::string_view k, std::string_view v) {
    if (!in_shard(k))
      return false;
    auto h = decode_log_header(v);
    if (h && h->ref == ref)
      (void)decode_step_record(*h, "bench");
    return true;
  });
  auto parse_s = thread_cpu_s() - t0;
  bench_probe probe;
  auto logic = make_bench_logic(&probe, 0);
  entity_image img;
  img.state = logic->new_state();
  caf::error err;
  t0 = thread_cpu_s();
  (void)st.scan(table::log, from, [&](std::string_view k, std::string_view v) {
    if (!in_shard(k))
      return false;
    auto h = decode_log_header(v);
    if (!h || h->ref != ref)
      return true;
    auto rec = decode_step_record(*h, "bench");
    if (!rec) {
      err = rec.error();
      return false;
    }
    err = apply_record(*logic, *rec, img, "bench");
    return !err;
  });
  auto full_s = thread_cpu_s() - t0;
  if (err)
    progress("replay failed: %s", describe(err).c_str());
  r.add("journal_scan_records", static_cast<double>(n), "records in the entity's shard");
  r.add("journal_scan_mb", static_cast<double>(bytes) / 1e6, "their bytes (MB)", 1);
  r.add("journal_pass1_scan_cpu_s", scan_s, "pass 1: LMDB cursor scan only (CPU s)", 3);
  r.add("journal_pass2_header_cpu_s", header_s, "pass 2: + decode header, match ref (CPU s)", 3);
  r.add("journal_pass3_parse_cpu_s", parse_s, "pass 3: + parse StepRecord (CPU s)", 3);
  r.add("journal_pass4_replay_cpu_s", full_s, "pass 4: + apply_record = replay (CPU s)", 3);
}

void bench_journal(report& r, const bench_options& o, scratch_dir& scratch) {
  auto dir = ensure_dataset(o, scratch, "journal");
  auto st = open_store(dir, *parse_durability(o.durability), 16384);
  if (!st) {
    progress("cannot open %s: %s", dir.c_str(), describe(st.error()).c_str());
    std::exit(1);
  }
  bench_probe probe;
  auto ref = bench_ref("j", 0);
  uint64_t last_log_seq = 0;
  r.section("recovery: one entity with a long journal (snapshot_every = 0)");
  {
    measured_node m{o, *st, make_bench_logic(&probe, 0)};
    auto& su = m.node->startup();
    progress("journal: node started in %.3f s (%llu log records)", m.start_s,
             static_cast<unsigned long long>(su.log_records));
    auto t0 = now_s();
    auto c0 = process_cpu_s();
    auto rep = m.node->inspect(ref, std::chrono::minutes{10});
    auto rec_s = now_s() - t0;
    auto rec_cpu_s = process_cpu_s() - c0;
    if (!rep) {
      progress("recovery failed: %s", describe(rep.error()).c_str());
      std::exit(1);
    }
    t0 = now_s();
    (void)m.node->inspect(ref);
    auto again_us = (now_s() - t0) * 1e6;
    last_log_seq = rep->last_log_seq();
    r.add("journal_events", static_cast<double>(rep->event_seq()), "events recovered");
    r.add("journal_entity_mode", rep->mode(), "entity mode after recovery");
    r.add("journal_startup_s", m.start_s, "node start (store scan) (s)", 3);
    r.add("journal_startup_cpu_s", m.start_cpu_s, "node start, CPU (s)", 3);
    r.add("journal_startup_log_records", static_cast<double>(su.log_records),
          "log records scanned at start");
    r.add("journal_recovery_s", rec_s, "first message -> recovered (s)", 3);
    r.add("journal_recovery_cpu_s", rec_cpu_s, "recovery, process CPU (s)", 3);
    r.add("journal_recovery_events_per_s", static_cast<double>(rep->event_seq()) / rec_s,
          "events replayed/s");
    r.add("journal_inspect_active_us", again_us, "same call, entity active (us)", 1);
  }
  journal_breakdown(r, **st, o, ref, last_log_seq);
}

/// Activates `k` of the `n` stored entities (evenly spread) with inspect requests, `window`
/// in flight; returns the wall seconds, 0 on failure.
double activate_sample(node_runtime& node, uint64_t n, uint64_t k, uint64_t& bad) {
  caf::scoped_actor self{node.context().system()};
  const uint64_t window = 1000;
  uint64_t next = 0, done = 0, in_flight = 0;
  auto t0 = now_s(), last_print = t0;
  while (done < k) {
    while (next < k && in_flight < window) {
      auto ref = bench_ref("s", next * n / k);
      auto a = node.context().dir().lookup(ref, true);
      self->send(a, inspect_atom::value);
      ++next;
      ++in_flight;
    }
    bool timed_out = false;
    self->receive(
      [&](const std::string& bytes) {
        EntityReport rep;
        // An entity the LRU bound passivated before the request arrived leaves its actor idle
        // or serving another entity (directory::recycle): it did recover, so not bad.
        bool moved = rep.ParseFromString(bytes) && rep.ref().rfind("bench/s", 0) != 0;
        if (!moved && (rep.mode() != "running" || rep.event_seq() != 1))
          ++bad;
        ++done;
      },
      [&](caf::error&) {
        ++bad;
        ++done;
      },
      caf::after(std::chrono::seconds{120}) >> [&] { timed_out = true; });
    if (timed_out)
      return 0;
    --in_flight;
    if (now_s() - last_print >= 1) {
      last_print = now_s();
      progress("activated %llu of %llu (%.0f/s)", static_cast<unsigned long long>(done),
               static_cast<unsigned long long>(k), static_cast<double>(done) / (last_print - t0));
    }
  }
  return now_s() - t0;
}

void bench_entities(report& r, const bench_options& o, scratch_dir& scratch, bool snap) {
  auto kind = std::string{snap ? "entities" : "entities-nosnap"};
  auto p = std::string{snap ? "entities_" : "nosnap_"};
  auto dir = ensure_dataset(o, scratch, kind);
  auto st = open_store(dir, *parse_durability(o.durability), 16384);
  if (!st) {
    progress("cannot open %s: %s", dir.c_str(), describe(st.error()).c_str());
    std::exit(1);
  }
  r.section(snap ? "start-up and activation: small entities stored, each with a snapshot"
                 : "start-up and activation: small entities stored, journal only (no snapshot)");
  bench_probe probe;
  auto n = o.stored_entities;
  auto k = std::min(n, snap ? o.activate : o.activate_nosnap);
  auto mem0 = read_memory_trimmed();
  measured_node m{o, *st, make_bench_logic(&probe, 100)};
  auto& su = m.node->startup();
  auto mem1 = read_memory_trimmed();
  progress("%s: node started in %.3f s; activating %llu of %llu", kind.c_str(), m.start_s,
           static_cast<unsigned long long>(k), static_cast<unsigned long long>(n));
  uint64_t bad = 0;
  auto c0 = process_cpu_s();
  auto secs = activate_sample(*m.node, n, k, bad);
  auto act_cpu_s = process_cpu_s() - c0;
  auto mem2 = read_memory_trimmed();
  auto kd = static_cast<double>(k);
  r.add(p + "stored", static_cast<double>(n), "entities stored");
  r.add(p + "startup_s", m.start_s, "node start (store scan) (s)", 3);
  r.add(p + "startup_cpu_s", m.start_cpu_s, "node start, CPU (s)", 3);
  r.add(p + "startup_log_records", static_cast<double>(su.log_records), "log records scanned");
  r.add(p + "startup_snapshots", static_cast<double>(su.snapshots), "snapshots scanned");
  r.add(p + "startup_rss_per_stored_entity_bytes",
        static_cast<double>(mem1.rss_anon_kb - mem0.rss_anon_kb) * 1024 / static_cast<double>(n),
        "RSS after start per stored entity (B)");
  r.add(p + "activated", kd, "entities activated (evenly spread)");
  r.add(p + "activation_failures", static_cast<double>(bad), "activations that failed");
  r.add(p + "activation_s", secs, "activating them (s)", 3);
  r.add(p + "activations_per_s", secs > 0 ? kd / secs : 0, "activations/s");
  r.add(p + "activation_cpu_us", act_cpu_s * 1e6 / kd, "process CPU per activation (us)", 1);
  r.add(p + "activate_all_projected_s", secs > 0 ? static_cast<double>(n) / (kd / secs) : 0,
        "projected: activate all stored (s)", 1);
  r.add(p + "rss_per_idle_entity_bytes",
        static_cast<double>(mem2.rss_anon_kb - mem1.rss_anon_kb) * 1024 / kd,
        "RSS (anon) per idle active entity (B)");
  r.add(p + "rss_file_per_idle_entity_bytes",
        (static_cast<double>(mem2.rss_file_kb) - static_cast<double>(mem1.rss_file_kb)) * 1024 / kd,
        "RSS (LMDB map pages) per activation (B)");
  r.add(p + "peak_rss_kb", static_cast<double>(mem2.peak_rss_kb), "peak RSS (KiB)");
}

} // namespace

int run_recovery_bench(const bench_options& o) {
  scratch_dir scratch{o};
  report r;
  r.section("sagaforge-bench runtime --recovery " + o.recovery);
  auto sched = scheduler_of(o);
  r.add("recovery", o.recovery, "sub-benchmarks");
  r.add("durability", o.durability, "durability (measuring node)");
  r.add("scheduler_policy", sched.policy, "CAF scheduler.policy");
  r.add("scheduler_threads", static_cast<double>(sched.threads), "CAF scheduler.max-threads");
  r.add("shard_count", static_cast<double>(o.shards), "shards");
  r.add("event_bytes", static_cast<double>(o.event_bytes), "event size (B)");
  r.add("loadavg_1m_before", load_average_1m(), "load average before (other work)", 2);
  if (o.recovery == "journal" || o.recovery == "all")
    bench_journal(r, o, scratch);
  if (o.recovery == "entities" || o.recovery == "all")
    bench_entities(r, o, scratch, true);
  if (o.recovery == "entities-nosnap" || o.recovery == "all")
    bench_entities(r, o, scratch, false);
  r.add("loadavg_1m_after", load_average_1m(), "load average after", 2);
  r.print(o.json);
  return 0;
}

} // namespace sagaforge::bench
