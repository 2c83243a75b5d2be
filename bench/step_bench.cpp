// step_bench implementation: drive, sample a steady window, report, then the raw baseline.
#include "bench/step_bench.hpp"

#include <chrono>
#include <cmath>
#include <filesystem>
#include <thread>

#include "caf/all.hpp"

#include "bench.pb.h"
#include "bench/bench_entity.hpp"
#include "bench/measuring_store.hpp"
#include "bench/proc_stats.hpp"
#include "bench/raw_lmdb.hpp"
#include "bench/report.hpp"
#include "runtime/client_actor.hpp"
#include "runtime/errors.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge::bench {

namespace {

/// Everything sampled at the start and at the end of the measured window.
struct sample {
  double t = 0;
  uint64_t decided = 0;  // steps run (decide + submit)
  commit_stats pipe;     // steps committed, commits
  store_sample st;
  std::map<int, thread_cpu> cpu;
  uint64_t resends = 0, duplicates = 0, dropped_busy = 0, dead_letters = 0;
};

sample take(node_runtime& node, measuring_store& ms) {
  sample s;
  auto& c = node.context().counters();
  s.pipe = node.context().pipeline().stats();
  s.decided = c.steps.load();
  s.st = ms.sample();
  s.cpu = thread_cpu_ns();
  s.resends = c.resends.load();
  s.duplicates = c.duplicates.load();
  s.dropped_busy = c.dropped_busy.load();
  s.dead_letters = c.dead_letters.load();
  s.t = now_s();
  return s;
}

double ratio(double a, double b) {
  return b > 0 ? a / b : std::nan("");
}

/// Sends Start to every pinger and waits for the acks (bounded).
bool start_pairs(caf::actor_system& sys, node_runtime& node, uint64_t pairs, int64_t stop_at) {
  caf::scoped_actor self{sys};
  for (uint64_t i = 0; i < pairs; ++i) {
    Start s;
    s.set_peer(bench_ref("q", i));
    s.set_stop_at_ms(stop_at);
    auto tb = typed_bytes::of(s);
    self->send(node.client(), send_atom::value, bench_ref("p", i), tb.type, tb.payload,
               "bench-pair-" + std::to_string(i));
  }
  uint64_t acked = 0, failed = 0;
  bool timed_out = false;
  while (acked + failed < pairs && !timed_out)
    self->receive([&](const std::string&) { ++acked; },
                  [&](caf::error& err) {
                    if (failed++ == 0)
                      progress("a Start failed: %s", describe(err).c_str());
                  },
                  caf::after(std::chrono::seconds{30}) >> [&] { timed_out = true; });
  progress("%llu of %llu pairs started", static_cast<unsigned long long>(acked),
           static_cast<unsigned long long>(pairs));
  return acked == pairs;
}

/// Waits until no step ran for 300 ms (at most `limit_s`).
void quiesce(node_runtime& node, double limit_s) {
  auto& c = node.context().counters();
  auto until = now_s() + limit_s;
  auto last = c.steps.load();
  int still = 0;
  while (now_s() < until && still < 3) {
    std::this_thread::sleep_for(std::chrono::milliseconds{100});
    auto n = c.steps.load();
    still = n == last ? still + 1 : 0;
    last = n;
  }
}

struct window_result {
  sample a, b;
  memory_sample mem;
  double p50_us = 0, p90_us = 0, p99_us = 0, p999_us = 0;
  uint64_t latency_samples = 0;
  double commit_p50_us = 0, commit_p99_us = 0;
  int writer_tid = 0;
  int main_tid = 0;
  bool healthy = true;
};

/// Starts the node, runs the pairs, measures the window; the node is gone afterwards.
caf::expected<window_result> run_window(const bench_options& o, store_ptr inner,
                                        const std::string& dir) {
  auto ms = std::make_shared<measuring_store>(std::move(inner));
  bench_probe probe;
  probe.event_pad_bytes = o.event_bytes > 8 ? o.event_bytes - 8 : 0;
  probe.payload_pad_bytes = o.payload_bytes;
  auto cfg = make_caf_config(o);
  caf::actor_system sys{*cfg};
  node_runtime::options nopts;
  nopts.settings = make_settings(o, dir);
  nopts.given_store = ms;
  auto started = node_runtime::start(sys, nopts, {make_bench_logic(&probe, o.snapshot_every)});
  if (!started)
    return started.error();
  auto& node = **started;
  auto& ctx = node.context();
  window_result w;
  w.main_tid = current_tid();
  auto pairs = std::max<uint64_t>(1, o.entities / 2);
  auto t0 = now_s();
  auto stop_at = ctx.now_ms() + static_cast<int64_t>((o.warmup_s + o.seconds) * 1000) + 500;
  if (!start_pairs(sys, node, pairs, stop_at))
    progress("not every pair started: the figures below cover the pairs that did");
  auto warm_left = o.warmup_s - (now_s() - t0);
  if (warm_left > 0)
    std::this_thread::sleep_for(std::chrono::duration<double>(warm_left));
  w.a = take(node, *ms);
  probe.hop_ns.reset();
  ms->commit_ns().reset();
  probe.recording = true;
  auto end = w.a.t + o.seconds;
  auto last = w.a;
  while (now_s() < end) {
    std::this_thread::sleep_for(std::chrono::duration<double>(std::min(1.0, end - now_s())));
    auto s = take(node, *ms);
    progress("%5.1f s: %9.0f steps/s, %6.1f steps/commit", s.t - w.a.t,
             static_cast<double>(s.pipe.steps - last.pipe.steps) / (s.t - last.t),
             ratio(static_cast<double>(s.pipe.steps - last.pipe.steps),
                   static_cast<double>(s.pipe.commits - last.pipe.commits)));
    last = s;
  }
  w.b = last;
  probe.recording = false;
  w.mem = read_memory();
  w.latency_samples = probe.hop_ns.count();
  w.p50_us = probe.hop_ns.quantile_ns(0.50) / 1e3;
  w.p90_us = probe.hop_ns.quantile_ns(0.90) / 1e3;
  w.p99_us = probe.hop_ns.quantile_ns(0.99) / 1e3;
  w.p999_us = probe.hop_ns.quantile_ns(0.999) / 1e3;
  w.commit_p50_us = ms->commit_ns().quantile_ns(0.50) / 1e3;
  w.commit_p99_us = ms->commit_ns().quantile_ns(0.99) / 1e3;
  w.writer_tid = ms->writer_tid();
  progress("window done; letting the pairs stop");
  while (ctx.now_ms() < stop_at)
    std::this_thread::sleep_for(std::chrono::milliseconds{50});
  quiesce(node, 15);
  w.healthy = ctx.pipeline().healthy();
  stop_node(sys, *started);
  return w;
}

void add_cpu(report& r, const window_result& w, double secs, double steps) {
  uint64_t total = 0, writer = 0, main = 0, clock = 0;
  for (auto& [tid, t] : w.b.cpu) {
    auto i = w.a.cpu.find(tid);
    auto d = t.ns - (i == w.a.cpu.end() ? 0 : i->second.ns);
    total += d;
    if (tid == w.writer_tid)
      writer += d;
    else if (tid == w.main_tid)
      main += d;
    else if (t.name == "caf.clock")
      clock += d;
  }
  auto workers = static_cast<double>(total - writer - main - clock);
  auto pct = [&](double ns) { return ns / (secs * 1e9) * 100; };
  auto per_step = [&](double ns) { return ratio(ns / 1e3, steps); };
  r.add("cpu_total_pct", pct(static_cast<double>(total)), "CPU, whole process (200 = 2 cores)", 1);
  r.add("cpu_workers_pct", pct(workers), "CPU, CAF workers (entities)", 1);
  r.add("cpu_clock_pct", pct(static_cast<double>(clock)), "CPU, CAF clock thread (timers)", 1);
  r.add("cpu_writer_pct", pct(static_cast<double>(writer)), "CPU, group-commit writer thread", 1);
  r.add("cpu_per_step_us", per_step(static_cast<double>(total)), "CPU per step", 2);
  r.add("cpu_workers_per_step_us", per_step(workers), "CPU per step, CAF workers", 2);
  r.add("cpu_clock_per_step_us", per_step(static_cast<double>(clock)), "CPU per step, CAF clock", 2);
  r.add("cpu_writer_per_step_us", per_step(static_cast<double>(writer)),
        "CPU per step, writer thread", 2);
}

/// The window's deltas the report and the raw baseline need.
struct window_figures {
  double secs = 0, steps = 0, commits = 0;
  double log_puts = 0, log_bytes = 0, snap_puts = 0, snap_bytes = 0, all_bytes = 0;

  explicit window_figures(const window_result& w) {
    secs = w.b.t - w.a.t;
    steps = static_cast<double>(w.b.pipe.steps - w.a.pipe.steps);
    commits = static_cast<double>(w.b.pipe.commits - w.a.pipe.commits);
    auto d = [&](size_t t, uint64_t (store_sample::*f)[table_count]) {
      return static_cast<double>((w.b.st.*f)[t] - (w.a.st.*f)[t]);
    };
    log_puts = d(0, &store_sample::puts);
    log_bytes = d(0, &store_sample::value_bytes);
    snap_puts = d(1, &store_sample::puts);
    snap_bytes = d(1, &store_sample::value_bytes);
    for (size_t t = 0; t < table_count; ++t)
      all_bytes += d(t, &store_sample::value_bytes) + d(t, &store_sample::key_bytes);
  }
};

void add_setup(report& r, const bench_options& o, double load0,
               std::pair<double, double> fsync_probe, double secs) {
  auto sched = scheduler_of(o);
  r.section("sagaforge-bench runtime");
  r.add("workload", o.entities <= 2 ? std::string{"a: one ping-pong pair"}
                                    : std::string{"b: concurrent ping-pong pairs"},
        "workload");
  r.add("entities", static_cast<double>(std::max<uint64_t>(2, o.entities)), "entities");
  r.add("durability", o.durability, "durability");
  r.add("scheduler_policy", sched.policy, "CAF scheduler.policy");
  r.add("scheduler_threads", static_cast<double>(sched.threads), "CAF scheduler.max-threads");
  r.add("commit_max_batch_steps", static_cast<double>(o.max_batch_steps), "commit max batch");
  r.add("commit_max_delay_us", static_cast<double>(o.max_delay_us), "commit max delay (us)");
  r.add("snapshot_every_records", static_cast<double>(o.snapshot_every), "snapshot every");
  r.add("retry_initial_backoff_ms",
        static_cast<double>(make_settings(o, "").retry_initial_backoff_ms),
        "retry initial backoff (ms)");
  r.add("measured_s", secs, "measured window (s)", 2);
  r.add("loadavg_1m_before", load0, "load average before (other work)", 2);
  r.add("loadavg_1m_after", load_average_1m(), "load average after", 2);
  r.add("fsync_probe_p50_us", fsync_probe.first, "disk now: 4 KiB append + fdatasync p50 (us)");
  r.add("fsync_probe_p99_us", fsync_probe.second, "disk now: 4 KiB append + fdatasync p99 (us)");
}

void add_window(report& r, const window_result& w, const window_figures& f) {
  r.section("throughput");
  r.add("steps_per_s", f.steps / f.secs, "durable steps/s");
  r.add("steps_per_commit", ratio(f.steps, f.commits), "steps per group commit", 1);
  r.add("commits_per_s", f.commits / f.secs, "group commits/s");
  r.add("steps_decided_per_s", static_cast<double>(w.b.decided - w.a.decided) / f.secs,
        "steps decided/s (incl. not yet durable)");
  r.section("latency (hop: sender decide -> commit -> receiver decide)");
  r.add("p50_step_us", w.p50_us, "p50 step latency (us)");
  r.add("p90_step_us", w.p90_us, "p90 step latency (us)");
  r.add("p99_step_us", w.p99_us, "p99 step latency (us)");
  r.add("p999_step_us", w.p999_us, "p99.9 step latency (us)");
  r.add("latency_samples", static_cast<double>(w.latency_samples), "latency samples");
  r.add("commit_p50_us", w.commit_p50_us, "p50 store write per commit (us)");
  r.add("commit_p99_us", w.commit_p99_us, "p99 store write per commit (us)");
  r.add("store_busy_pct", static_cast<double>(w.b.st.write_ns - w.a.st.write_ns) / (f.secs * 1e9)
                            * 100,
        "writer time inside store write (%)", 1);
  r.section("bytes");
  r.add("log_value_bytes_avg", ratio(f.log_bytes, f.log_puts), "log record value (bytes)");
  r.add("snapshot_puts_per_step", ratio(f.snap_puts, f.steps), "snapshot puts per step", 4);
  r.add("snapshot_value_bytes_avg", ratio(f.snap_bytes, f.snap_puts), "snapshot value (bytes)");
  r.add("bytes_per_step", ratio(f.all_bytes, f.steps), "key+value bytes written per step");
  r.section("CPU (measured window)");
  add_cpu(r, w, f.secs, f.steps);
  r.section("health (measured window)");
  r.add("resends", static_cast<double>(w.b.resends - w.a.resends), "resends");
  r.add("duplicates", static_cast<double>(w.b.duplicates - w.a.duplicates), "duplicates dropped");
  r.add("dropped_busy", static_cast<double>(w.b.dropped_busy - w.a.dropped_busy),
        "deliveries dropped (entity busy)");
  r.add("dead_letters", static_cast<double>(w.b.dead_letters - w.a.dead_letters), "dead letters");
  r.add("writer_healthy", w.healthy ? std::string{"yes"} : std::string{"NO"}, "writer healthy");
  r.section("memory");
  r.add("peak_rss_kb", static_cast<double>(w.mem.peak_rss_kb), "peak RSS (KiB)");
  r.add("rss_anon_kb", static_cast<double>(w.mem.rss_anon_kb), "RSS anon at window end (KiB)");
}

/// Runs the raw LMDB baseline with the window's write mix; false when LMDB failed.
bool add_raw(report& r, const bench_options& o, const window_figures& f, durability mode,
             const std::string& dir) {
  raw_spec spec;
  spec.dir = dir;
  spec.mode = mode;
  spec.batch = static_cast<size_t>(std::max(1.0, std::round(ratio(f.steps, f.commits))));
  spec.log_value_bytes = static_cast<size_t>(std::round(ratio(f.log_bytes, f.log_puts)));
  spec.snapshots_per_log = f.snap_puts > 0 ? f.snap_puts / f.log_puts : 0;
  spec.snapshot_value_bytes = f.snap_puts > 0 ? static_cast<size_t>(f.snap_bytes / f.snap_puts) : 0;
  spec.shards = static_cast<uint32_t>(o.shards);
  spec.entities = std::max<uint64_t>(2, o.entities);
  spec.seconds = o.raw_seconds;
  auto mode_name = std::string{mode == durability::fsync ? "fsync" : "nosync"};
  progress("raw LMDB: batches of %zu puts of %zu B (+%.4f snapshot puts of %zu B each), %s, "
           "%.1f s",
           spec.batch, spec.log_value_bytes, spec.snapshots_per_log, spec.snapshot_value_bytes,
           mode_name.c_str(), spec.seconds);
  auto raw = run_raw_lmdb(spec);
  if (!raw) {
    progress("raw LMDB failed: %s", describe(raw.error()).c_str());
    return false;
  }
  auto rate = raw->log_puts_per_s();
  r.section("raw LMDB, same run, same disk, same flags, same write mix");
  r.add("raw_durability", mode_name, "raw LMDB durability");
  r.add("raw_batch_puts", static_cast<double>(spec.batch), "raw puts per commit");
  r.add("raw_log_value_bytes", static_cast<double>(spec.log_value_bytes), "raw value (bytes)");
  r.add("raw_lmdb_puts_per_s", rate, "raw LMDB puts/s");
  r.add("raw_commit_us_avg", ratio(raw->commit_ns / 1e3, static_cast<double>(raw->commits)),
        "raw mdb_txn_commit per commit (us)", 1);
  r.add("raw_put_us_avg",
        ratio(raw->puts_ns / 1e3, static_cast<double>(raw->log_puts + raw->snapshot_puts)),
        "raw mdb_put per put (us)", 3);
  r.add("ratio_to_raw", ratio(f.steps / f.secs, rate), "runtime steps/s / raw puts/s", 3);
  return true;
}

} // namespace

int run_step_bench(const bench_options& o) {
  auto mode = *parse_durability(o.durability);
  scratch_dir scratch{o};
  auto node_dir = scratch.sub("node");
  auto sched = scheduler_of(o);
  progress("runtime: %llu entities (%llu ping-pong pairs), %s, scheduler %s x%zu, %.1f s "
           "measured after %.1f s warm-up",
           static_cast<unsigned long long>(o.entities),
           static_cast<unsigned long long>(std::max<uint64_t>(1, o.entities / 2)),
           o.durability.c_str(), sched.policy.c_str(), sched.threads, o.seconds, o.warmup_s);
  auto load0 = load_average_1m();
  std::filesystem::create_directories(node_dir);
  auto fsync_probe = fsync_probe_us(node_dir);
  auto inner = open_store(node_dir, mode, 16384);
  if (!inner) {
    progress("cannot open the store: %s", describe(inner.error()).c_str());
    return 1;
  }
  auto w = run_window(o, std::move(*inner), node_dir);
  if (!w) {
    progress("the runtime did not start: %s", describe(w.error()).c_str());
    return 1;
  }
  window_figures f{*w};
  report r;
  add_setup(r, o, load0, fsync_probe, f.secs);
  add_window(r, *w, f);
  if (o.no_raw || mode == durability::memory)
    progress("no raw LMDB baseline (%s)", o.no_raw ? "--no-raw" : "memory durability");
  else if (!add_raw(r, o, f, mode, scratch.sub("raw")))
    return 1;
  r.print(o.json);
  return w->healthy ? 0 : 1;
}

} // namespace sagaforge::bench
