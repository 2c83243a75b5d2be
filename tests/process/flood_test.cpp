// process.flood: 1,000,000 messages sent at one entity keep memory bounded.
//
// A real node in this process: the production scheduler settings (runtime_system_config),
// threaded group commit, LMDB with nosync durability in a temporary folder (the memory
// store would keep the whole journal in RAM and measure that instead of the mailboxes).
// P producer counters each get one Flood command and send their share of Add{1} to the
// one sink counter, `chunk` envelopes per step, continuing through FloodMore self-messages.
// A producer's step is cheap and emits `chunk` envelopes; the sink needs a step (decide +
// a journal record + a commit) per envelope, so the sink is the slow side and the runtime's
// back-pressure has to hold the producers: at most channel-window envelopes in flight per
// channel, and a producer whose outbox holds outbox-max entries stops consuming (its
// FloodMore waits, parked) until acks bring it under half.
//
// Asserted:
//   - every message arrived exactly once: sink value == applied == N, producers done;
//   - peak anonymous RSS (RssAnon, sampled every 20 ms) stays under baseline + bound, and
//     peak total RSS (VmHWM, reset at the start) under baseline + bound + the LMDB data
//     file's size (the file-backed pages of LMDB's map that the writer touched: clean page
//     cache that grows with the journal, not with what is queued). The bound, 150 MB
//     by default, is the sum of what the runtime may legitimately hold with default
//     settings — P outboxes of outbox-max + chunk envelopes (~2 MB each), the commit queue
//     (commit.max-queue-steps = 65,536 steps of a few hundred bytes: ~20-40 MB), LMDB's
//     dirty pages of one batch, allocator slack — with margin.
//     Without back-pressure the producers' outboxes hold the whole flood: measured with
//     SAGAFORGE_FLOOD_OUTBOX_MAX=10000000 and 400,000 messages, anonymous RSS grew 442 MB
//     for ~390k queued envelopes (~1.1 KB each) and the run failed this bound, so a
//     1,000,000-message flood queued would need ~1 GB;
//   - back-pressure really engaged: a producer's outbox was seen at >= outbox-max / 2 (else
//     the sink was not the slow side and the run would prove nothing), and never above
//     outbox-max + chunk;
//   - a clean restart on the folder sees the same sink, and the envelopes the producers
//     resend from their journals (acked after their last step, so not recorded as acked)
//     are all dropped as duplicates: value and applied stay N.
//
// Environment: SAGAFORGE_FLOOD_MESSAGES (default 1,000,000; 100,000 in sanitizer builds),
// SAGAFORGE_FLOOD_PRODUCERS (default 4), SAGAFORGE_FLOOD_RSS_BOUND_MB (default 150; 650 in
// sanitizer builds, where ASan's quarantine alone keeps up to 256 MB of freed memory and
// its shadow and allocator metadata add more), SAGAFORGE_FLOOD_KEEP_DATA=1 (keep the LMDB
// folder), SAGAFORGE_FLOOD_OUTBOX_MAX (a negative control: raise outbox-max and the run
// fails), SAGAFORGE_FLOOD_INITIAL_BACKOFF_MS (diagnosis: retry.initial-backoff-ms), TMPDIR.
#define CAF_SUITE process.flood
#include "caf/test/unit_test.hpp"

#include <atomic>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <mutex>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include "caf/all.hpp"

#include "actors/counter/counter.hpp"
#include "counter.pb.h"
#include "runtime/errors.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/runtime_config.hpp"

using namespace sagaforge;
using clock_type = std::chrono::steady_clock;
using namespace std::chrono_literals;

namespace {

#ifdef SAGAFORGE_SANITIZED
constexpr int64_t default_messages = 100'000;
constexpr int64_t default_bound_mb = 650;
#else
constexpr int64_t default_messages = 1'000'000;
constexpr int64_t default_bound_mb = 150;
#endif

int64_t env_int(const char* name, int64_t fallback) {
  if (auto* v = std::getenv(name); v && *v)
    return std::strtoll(v, nullptr, 10);
  return fallback;
}

struct mem_status {
  int64_t rss_kb = 0;
  int64_t hwm_kb = 0;
  int64_t anon_kb = 0;
  int64_t file_kb = 0;
};

mem_status read_mem() {
  mem_status m;
  std::ifstream in{"/proc/self/status"};
  for (std::string line; std::getline(in, line);) {
    auto field = [&](const char* name, int64_t& out) {
      auto n = std::strlen(name);
      if (line.compare(0, n, name) == 0)
        out = std::strtoll(line.c_str() + n, nullptr, 10);
    };
    field("VmRSS:", m.rss_kb);
    field("VmHWM:", m.hwm_kb);
    field("RssAnon:", m.anon_kb);
    field("RssFile:", m.file_kb);
  }
  return m;
}

/// Resets VmHWM to the current RSS (Linux >= 4.0), so the peak is this test's own.
bool reset_peak_rss() {
  std::ofstream out{"/proc/self/clear_refs"};
  out << "5";
  out.flush();
  return static_cast<bool>(out);
}

/// Samples RSS in the background: the peak of RssAnon (heap) is not kept by the kernel.
class rss_sampler {
public:
  rss_sampler() : thread_([this] { run(); }) {}
  ~rss_sampler() {
    stop_ = true;
    thread_.join();
  }
  mem_status peak() const {
    std::lock_guard<std::mutex> guard{mtx_};
    return peak_;
  }

private:
  void run() {
    while (!stop_) {
      auto m = read_mem();
      {
        std::lock_guard<std::mutex> guard{mtx_};
        peak_.rss_kb = std::max(peak_.rss_kb, m.rss_kb);
        peak_.hwm_kb = std::max(peak_.hwm_kb, m.hwm_kb);
        peak_.anon_kb = std::max(peak_.anon_kb, m.anon_kb);
        peak_.file_kb = std::max(peak_.file_kb, m.file_kb);
      }
      std::this_thread::sleep_for(20ms);
    }
  }
  mutable std::mutex mtx_;
  mem_status peak_;
  std::atomic<bool> stop_{false};
  std::thread thread_;
};

struct fixture {
  std::string dir;
  runtime_system_config cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<node_runtime> node;

  fixture() {
    std::string base = std::getenv("TMPDIR") ? std::getenv("TMPDIR") : "/tmp";
    std::string tmpl = base + "/sagaforge-flood-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr)
      throw std::runtime_error("mkdtemp failed in " + base);
    dir = buf.data();
    sys = std::make_unique<caf::actor_system>(cfg);
  }

  ~fixture() {
    if (stop_node())
      sys.reset();
    std::error_code ec;
    if (env_int("SAGAFORGE_FLOOD_KEEP_DATA", 0) == 0)
      std::filesystem::remove_all(dir, ec);
    else
      CAF_MESSAGE("data kept in " << dir);
  }

  /// Shuts the node down and makes sure its actors are gone before it is destroyed: they
  /// reference its context (when shutdown() only sent exits, destroying the node at once
  /// crashed in the client's exit hook on a freed directory). Bounded: if they do not end,
  /// the test fails and the node and the actor system are leaked rather than destroyed
  /// under running actors.
  bool stop_node() {
    if (!node)
      return true;
    node->shutdown();
    auto deadline = clock_type::now() + 20s;
    while (sys->registry().running() > 0 && clock_type::now() < deadline)
      std::this_thread::sleep_for(10ms);
    if (auto n = sys->registry().running(); n > 0) {
      CAF_ERROR(n << " actors still running 20 s after node_runtime::shutdown(); leaking the "
                     "node and the actor system");
      (void)node.release();
      (void)sys.release();
      return false;
    }
    node.reset();
    return true;
  }

  /// Waits until none of `refs` has outbox entries; false after `timeout`.
  bool drained(const std::vector<std::string>& refs, std::chrono::seconds timeout) {
    auto deadline = clock_type::now() + timeout;
    for (;;) {
      uint64_t left = 0;
      for (auto& ref : refs) {
        auto rep = node->inspect(ref, 30s);
        left += rep ? rep->outbox_size() : 1;
      }
      if (left == 0)
        return true;
      if (clock_type::now() > deadline)
        return false;
      std::this_thread::sleep_for(50ms);
    }
  }

  void start(const runtime_settings& s) {
    node_runtime::options opts;
    opts.settings = s;
    opts.threaded_commit = true;
    auto rt = node_runtime::start(*sys, opts, {counter::make_counter_logic()});
    if (!rt)
      CAF_FAIL("node start failed: " << describe(rt.error()));
    node = std::move(*rt);
  }

  counter::CounterState state_of(const EntityReport& rep) {
    counter::CounterState s;
    if (!s.ParseFromString(rep.state()))
      CAF_FAIL(rep.ref() << ": state does not parse");
    return s;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(flood_tests, fixture)

CAF_TEST(a million messages at one entity keep memory bounded and arrive once) {
  const int64_t total = env_int("SAGAFORGE_FLOOD_MESSAGES", default_messages);
  const int64_t producers = env_int("SAGAFORGE_FLOOD_PRODUCERS", 4);
  const int64_t bound_mb = env_int("SAGAFORGE_FLOOD_RSS_BOUND_MB", default_bound_mb);
  const int64_t chunk = 1000;  // envelopes per producer step (limits.max-sends-per-step 1024)
  CAF_REQUIRE_GREATER(total, 0);
  CAF_REQUIRE_GREATER(producers, 0);
  runtime_settings s;
  s.data_dir = dir;
  s.durability_name = "nosync";
  s.map_size_mb = 16384;
  s.shard_count = 16;
  s.log_level = "warn";
  // Everything else at its default: channel-window 64, outbox-max 4096, parked-max 4096,
  // commit.max-queue-steps 65536, commit.max-batch-steps 4096. The environment may raise
  // outbox-max to show that the bound fails without back-pressure (a negative control).
  s.outbox_max = env_int("SAGAFORGE_FLOOD_OUTBOX_MAX", s.outbox_max);
  s.retry_initial_backoff_ms =
    env_int("SAGAFORGE_FLOOD_INITIAL_BACKOFF_MS", s.retry_initial_backoff_ms);
  s.retry_max_backoff_ms = std::max(s.retry_max_backoff_ms, s.retry_initial_backoff_ms);
  start(s);
  const auto& cfg = node->context().settings();
  const std::string sink = "counter/flood-sink";
  std::vector<std::string> producer_refs;
  for (int64_t p = 0; p < producers; ++p)
    producer_refs.push_back("counter/flood-producer-" + std::to_string(p));
  // Activate everything first, so the baseline includes the idle node.
  for (auto& ref : producer_refs)
    CAF_REQUIRE(static_cast<bool>(node->inspect(ref)));
  CAF_REQUIRE(static_cast<bool>(node->inspect(sink)));
  CAF_CHECK(reset_peak_rss());
  auto baseline = read_mem();
  CAF_MESSAGE("baseline RSS " << baseline.rss_kb / 1024 << " MB (anon " << baseline.anon_kb / 1024
                              << " MB, file " << baseline.file_kb / 1024 << " MB); " << total
                              << " messages from " << producers << " producers, chunk " << chunk
                              << ", channel-window " << cfg.channel_window << ", outbox-max "
                              << cfg.outbox_max << ", retry.initial-backoff-ms "
                              << cfg.retry_initial_backoff_ms << ", bound baseline + " << bound_mb
                              << " MB");
  rss_sampler sampler;
  auto t0 = clock_type::now();
  for (int64_t p = 0; p < producers; ++p) {
    counter::Flood f;
    f.set_to(sink);
    f.set_count(total / producers + (p < total % producers ? 1 : 0));
    f.set_chunk(chunk);
    auto ack = node->ask(producer_refs[static_cast<size_t>(p)], f, 30s);
    if (!ack)
      CAF_FAIL("Flood to " << producer_refs[static_cast<size_t>(p)]
                           << " not acknowledged: " << describe(ack.error()));
  }
  // Wait: the sink has everything and the producers' outboxes are empty. A stall (no
  // progress for 30 s) or 180 s in all (twice the target of 90 s) ends the wait with a
  // failure.
  int64_t value = 0, applied = 0, max_outbox = 0, last_value = -1;
  bool done = false;
  auto last_progress = clock_type::now();
  auto last_print = clock_type::now();
  std::string why;
  while (!done) {
    auto rep = node->inspect(sink, 30s);
    if (!rep) {
      why = "inspect " + sink + ": " + describe(rep.error());
      break;
    }
    auto st = state_of(*rep);
    value = st.value();
    applied = st.applied();
    int64_t outbox_total = 0, left_total = 0;
    for (auto& ref : producer_refs) {
      auto prep = node->inspect(ref, 30s);
      if (!prep) {
        why = "inspect " + ref + ": " + describe(prep.error());
        break;
      }
      auto ps = state_of(*prep);
      max_outbox = std::max(max_outbox, static_cast<int64_t>(prep->outbox_size()));
      outbox_total += static_cast<int64_t>(prep->outbox_size());
      left_total += ps.flood_left();
    }
    if (!why.empty())
      break;
    auto now = clock_type::now();
    if (value != last_value) {
      last_value = value;
      last_progress = now;
    }
    if (value >= total && outbox_total == 0 && left_total == 0) {
      done = true;
      break;
    }
    if (now - last_print >= 5s) {
      last_print = now;
      auto m = read_mem();
      auto secs = std::chrono::duration<double>(now - t0).count();
      CAF_MESSAGE("  " << value << " of " << total << " after " << static_cast<int>(secs)
                       << " s (" << static_cast<int64_t>(static_cast<double>(value) / secs)
                       << " msg/s); producers' outboxes " << outbox_total << ", left to send "
                       << left_total << "; RSS " << m.rss_kb / 1024 << " MB");
    }
    if (now - last_progress > 30s) {
      why = "no progress for 30 s at " + std::to_string(value) + " of " + std::to_string(total)
            + " (producers' outboxes " + std::to_string(outbox_total) + ", left "
            + std::to_string(left_total) + ")";
      break;
    }
    if (now - t0 > 180s) {
      auto& c = node->context().counters();
      why = "not done after 180 s: " + std::to_string(value) + " of " + std::to_string(total)
            + " (" + std::to_string(c.resends.load()) + " resends, "
            + std::to_string(c.duplicates.load()) + " duplicates so far: when acks come later "
            + "than the resend backoff, resends and the resend timer's scans of whole outboxes "
            + "take the CPU the sink needs)";
      break;
    }
    std::this_thread::sleep_for(100ms);
  }
  auto secs = std::chrono::duration<double>(clock_type::now() - t0).count();
  auto end = read_mem();
  auto peak = sampler.peak();
  auto hwm_kb = std::max(end.hwm_kb, peak.hwm_kb);
  auto& c = node->context().counters();
  auto ps = node->context().pipeline().stats();
  auto dls = node->dead_letters();
  CAF_MESSAGE("flood: " << value << " of " << total << " messages applied in " << secs << " s ("
                        << static_cast<int64_t>(static_cast<double>(value) / secs) << " msg/s); "
                        << ps.steps << " steps in " << ps.commits << " commits ("
                        << (ps.commits ? ps.steps / ps.commits : 0) << " per commit), "
                        << c.duplicates.load() << " duplicates, " << c.resends.load()
                        << " resends, " << c.dropped_busy.load() << " dropped while busy");
  std::error_code ec;
  auto data_kb = static_cast<int64_t>(std::filesystem::file_size(dir + "/data.mdb", ec) / 1024);
  auto anon_growth_kb = peak.anon_kb - baseline.anon_kb;
  auto total_growth_kb = hwm_kb - baseline.rss_kb;
  CAF_MESSAGE("peak RSS " << hwm_kb / 1024 << " MB (VmHWM; baseline " << baseline.rss_kb / 1024
                          << " MB, growth " << total_growth_kb / 1024 << " MB); sampled peaks: "
                          << "anonymous " << peak.anon_kb / 1024 << " MB (growth "
                          << anon_growth_kb / 1024 << " MB, bound " << bound_mb
                          << " MB), file-backed " << peak.file_kb / 1024 << " MB (LMDB map; "
                          << "data.mdb is " << data_kb / 1024 << " MB); RSS at the end "
                          << end.rss_kb / 1024 << " MB; largest producer outbox seen "
                          << max_outbox);
  if (!why.empty())
    CAF_ERROR("flood did not complete: " << why);
  CAF_CHECK(done);
  CAF_CHECK_EQUAL(value, total);
  CAF_CHECK_EQUAL(applied, total);
  // The bound is on anonymous memory (heap, stacks): mailboxes, outboxes, commit queue.
  // Total RSS also counts the pages of LMDB's read-only map that the writer touched (clean,
  // file-backed, reclaimable; at most the data file's size, which grows with the journal,
  // not with what is queued), so the total gets the bound plus the data file's size.
  CAF_CHECK_LESS_OR_EQUAL(anon_growth_kb, bound_mb * 1024);
  CAF_CHECK_LESS_OR_EQUAL(total_growth_kb, bound_mb * 1024 + data_kb);
  CAF_CHECK_LESS_OR_EQUAL(max_outbox, cfg.outbox_max + chunk + 1);
  if (max_outbox < cfg.outbox_max / 2)
    CAF_ERROR("the producers' outboxes never filled (largest " << max_outbox << " < outbox-max/2 "
                                                               << cfg.outbox_max / 2
                                                               << "): back-pressure was not "
                                                                  "exercised");
  CAF_CHECK(static_cast<bool>(dls));
  if (dls)
    CAF_CHECK_EQUAL(dls->size(), 0u);
  // A clean restart on the same folder sees the same sink. The producers' last journal
  // records still list the envelopes acked after them (acks ride on an entity's next step),
  // so the restarted producers resend those: the sink must drop every one as a duplicate.
  if (done && stop_node()) {
    start(s);
    auto t1 = clock_type::now();
    auto secs_since = [](clock_type::time_point t) {
      return std::chrono::duration<double>(clock_type::now() - t).count();
    };
    auto rep = node->inspect(sink, 60s);
    CAF_REQUIRE(static_cast<bool>(rep));
    CAF_MESSAGE("restart: node up in " << node->startup().seconds << " s ("
                                       << node->startup().log_records << " log records, "
                                       << node->startup().reactivated
                                       << " entities re-activated with pending work), sink "
                                       << "answered " << secs_since(t1) << " s later");
    uint64_t resent = 0;
    for (auto& ref : producer_refs) {
      auto prep = node->inspect(ref, 60s);
      CAF_REQUIRE(static_cast<bool>(prep));
      resent += prep->outbox_size();
    }
    CAF_CHECK(drained(producer_refs, 60s));
    rep = node->inspect(sink, 60s);
    CAF_REQUIRE(static_cast<bool>(rep));
    auto st = state_of(*rep);
    CAF_MESSAGE("restart: " << resent << " acknowledged envelopes resent from the producers' "
                            << "journals, " << node->context().counters().duplicates.load()
                            << " duplicates dropped, all drained " << secs_since(t1)
                            << " s after the restart");
    CAF_CHECK_EQUAL(st.value(), total);
    CAF_CHECK_EQUAL(st.applied(), total);
    CAF_CHECK_EQUAL(rep->outbox_size(), 0u);
  }
}

CAF_TEST_FIXTURE_SCOPE_END()
