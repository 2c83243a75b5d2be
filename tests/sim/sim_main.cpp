// sagaforge-sim: runs seeds of the single-node simulation and checks every invariant after
// each. Prints seeds/s; on a failure the seed, the invariant and the last steps of its trace,
// and exits non-zero. `--plant BUG` injects a known bug from outside the runtime to show the
// checker catches it (with --expect-failure, finding it is the success). A failure is then
// shrunk by fault class (print_minimised); `--without` replays the shrunk run.
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <limits>
#include <map>
#include <set>
#include <string>

#include <CLI/CLI.hpp>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "tests/sim/sim_run.hpp"

using namespace sagaforge::sim;

namespace {

std::string joined(const std::set<std::string>& names) {
  std::string out;
  for (auto& n : names)
    out += (out.empty() ? "" : ",") + n;
  return out;
}

/// Shrinks a failing seed: switches its fault classes off one at a time and keeps each off
/// while the seed still breaks the same invariant. Prints the classes it needs, the shorter
/// run's trace and the command that replays it. About one run per active class.
void print_minimised(sim_options opts, const sim_result& r) {
  auto invariant = r.violations.front().invariant;
  auto breaks = [&](const sim_result& x) {
    for (auto& v : x.violations)
      if (v.invariant == invariant)
        return true;
    return false;
  };
  sim_result best = r;
  for (auto& c : r.active_faults) {
    auto trial = opts;
    trial.without.insert(c);
    auto x = run_seed(trial);
    if (breaks(x)) {
      opts = trial;
      best = std::move(x);
    }
  }
  if (opts.without.empty()) {
    std::printf("  minimised: every fault class of the seed is needed\n");
    return;
  }
  std::set<std::string> needed{best.active_faults.begin(), best.active_faults.end()};
  std::printf("  minimised: %s still breaks %s with only these faults on: %s (%llu steps, "
              "%llu before)\n",
              ("seed " + std::to_string(r.seed)).c_str(), invariant.c_str(),
              needed.empty() ? "none" : joined(needed).c_str(),
              static_cast<unsigned long long>(best.steps),
              static_cast<unsigned long long>(r.steps));
  for (auto& v : best.violations)
    std::printf("  invariant %s: %s\n", v.invariant.c_str(), v.detail.c_str());
  std::printf("  last %zu steps of the minimised run:\n", best.trace_tail.size());
  for (auto& line : best.trace_tail)
    std::printf("    %s\n", line.c_str());
  std::printf("  replay: sagaforge-sim --from %llu --seeds 1 --without %s\n",
              static_cast<unsigned long long>(r.seed), joined(opts.without).c_str());
}

void print_failure(const sim_options& opts, const sim_result& r, const std::string& what) {
  std::printf("FAIL seed %llu: %s\n", static_cast<unsigned long long>(r.seed), what.c_str());
  for (auto& v : r.violations)
    std::printf("  invariant %s: %s\n", v.invariant.c_str(), v.detail.c_str());
  std::printf("  faults: %s\n", r.faults.c_str());
  std::printf("  last %zu of %llu steps:\n", r.trace_tail.size(),
              static_cast<unsigned long long>(r.steps));
  for (auto& line : r.trace_tail)
    std::printf("    %s\n", line.c_str());
  std::printf("  replay: sagaforge-sim --from %llu --seeds 1%s%s\n",
              static_cast<unsigned long long>(r.seed), opts.without.empty() ? "" : " --without ",
              joined(opts.without).c_str());
}

} // namespace

int main(int argc, char** argv) {
  CLI::App app{"sagaforge-sim: deterministic simulation of one node with injected faults"};
  uint64_t seeds = 100, from = 1;
  bool json = false, keep_going = false, expect_failure = false;
  std::string plant = "none";
  uint64_t replay_every = 25;
  size_t trace_keep = 30;
  app.add_option("--seeds", seeds, "number of seeds to run");
  app.add_option("--from", from, "first seed");
  app.add_flag("--json", json, "print the summary as one JSON object");
  app.add_option("--plant", plant, "inject a known bug: none, fresh-id-duplicates, "
                                   "swallow-compensations, lose-unsynced, forget-dedup, "
                                   "nondeterminism")
    ->check(CLI::IsMember({"none", "fresh-id-duplicates", "swallow-compensations",
                           "lose-unsynced", "forget-dedup", "nondeterminism"}));
  app.add_flag("--expect-failure", expect_failure,
               "succeed only if some seed fails (sensitivity runs with --plant)");
  app.add_flag("--keep-going", keep_going, "run every seed even after a failure");
  app.add_option("--replay-every", replay_every,
                 "run every Mth seed twice and compare trace hashes (0: never)");
  app.add_option("--trace", trace_keep, "trace steps printed on a failure");
  std::vector<std::string> inspect;
  bool long_outages = false;
  std::string lmdb_dir;
  app.add_option("--lmdb", lmdb_dir, "run on LMDB (nosync) in scratch folders under this one");
  app.add_flag("--long-outages", long_outages,
               "pauses and clock steps up to 40 min, past the retry and de-dup windows");
  app.add_option("--inspect", inspect, "print the final report of these refs (debugging a seed)");
  double hours = 0;
  app.add_option("--hours", hours,
                 "soak: run seeds from --from until this many hours have passed (--seeds is "
                 "then ignored); a progress line every minute")
    ->check(CLI::Range(0.0, 24.0 * 365));
  std::vector<std::string> without;
  app.add_option("--without", without,
                 "fault classes to switch off in every seed (replaying a minimised failure): "
                 "dup, delay, drop, crash, pause, gateway-error, gateway-timeout, "
                 "shipment-failure, decide-crash, poison")
    ->delimiter(',')
    ->check(CLI::IsMember(fault_classes()));
  bool no_minimise = false;
  app.add_flag("--no-minimise", no_minimise, "print a failure as it is, without shrinking it");
  bool verbose = false;
  app.add_flag("--verbose", verbose, "keep the runtime's log lines (warnings and above)");
  CLI11_PARSE(app, argc, argv);
  // Every restart logs a start-up line: thousands per run. The checker reports what matters.
  spdlog::set_level(verbose ? spdlog::level::warn : spdlog::level::off);
  // Sanitizer builds run about 3x slower, and the normal build runs the full count: the
  // sanitized pass is there for memory errors, which a tenth of a long run meets as well.
  if (auto* s = std::getenv("SAGAFORGE_SANITIZED"); s && std::string{s} == "1" && seeds > 8)
    seeds /= seeds >= 1000 ? 10 : 4;

  sim_options opts;
  opts.trace_keep = trace_keep;
  opts.inspect = inspect;
  opts.long_outages = long_outages;
  opts.lmdb_dir = lmdb_dir;
  opts.without.insert(without.begin(), without.end());

  if (!lmdb_dir.empty()) {
    std::error_code ec;
    std::filesystem::create_directories(lmdb_dir, ec);
    if (ec) {
      std::fprintf(stderr, "--lmdb %s: %s\n", lmdb_dir.c_str(), ec.message().c_str());
      return 2;
    }
  }
  opts.plants.fresh_id_duplicates = plant == "fresh-id-duplicates";
  opts.plants.swallow_compensations = plant == "swallow-compensations";
  opts.plant_lose_unsynced = plant == "lose-unsynced";
  opts.plant_forget_dedup = plant == "forget-dedup";
  if (!lmdb_dir.empty() && (opts.plant_lose_unsynced || opts.plant_forget_dedup)) {
    std::fprintf(stderr, "--plant %s needs the memory store\n", plant.c_str());
    return 2;
  }
  opts.plant_nondeterminism = plant == "nondeterminism";

  auto t0 = std::chrono::steady_clock::now();
  auto deadline = t0 + std::chrono::duration_cast<std::chrono::steady_clock::duration>(
                         std::chrono::duration<double>(hours * 3600));
  if (hours > 0)
    seeds = std::numeric_limits<uint64_t>::max() - from;  // until the deadline
  auto next_progress = t0 + std::chrono::minutes{1};
  uint64_t ran = 0, failed = 0, steps = 0, crashes = 0, jumps = 0, first_failed = 0;
  std::string first_invariant;
  std::map<std::string, int64_t> outcomes;
  std::map<std::string, int64_t> caught;  // invariant -> seeds where it failed
  std::map<std::string, uint64_t> first_by;  // invariant -> seeds run until it first failed
  for (uint64_t seed = from; seed < from + seeds; ++seed) {
    auto now = std::chrono::steady_clock::now();
    if (hours > 0 && now >= deadline)
      break;
    if (now >= next_progress) {  // long runs and soaks: show they are alive and how they fare
      auto secs = std::chrono::duration<double>(now - t0).count();
      std::fprintf(stderr, "sagaforge-sim: %.0f s, %llu seeds (%.1f/s), %llu failed, at seed %llu\n",
                   secs, static_cast<unsigned long long>(ran), static_cast<double>(ran) / secs,
                   static_cast<unsigned long long>(failed), static_cast<unsigned long long>(seed));
      next_progress = now + std::chrono::minutes{1};
    }
    opts.seed = seed;
    auto r = run_seed(opts);
    ++ran;
    steps += r.steps;
    crashes += static_cast<uint64_t>(r.crashes);
    jumps += static_cast<uint64_t>(r.clock_jumps);
    for (auto& [k, v] : r.outcomes)
      outcomes[k] += v;
    std::string why;
    if (!r.violations.empty())
      why = "invariant " + r.violations.front().invariant;
    if (why.empty() && replay_every > 0 && (seed - from) % replay_every == 0) {
      auto again = run_seed(opts);
      if (again.hash != r.hash) {
        why = "determinism: the same seed gave trace hash " + std::to_string(r.hash) + " then "
              + std::to_string(again.hash);
        r.violations.push_back({"determinism", why});
      }
    }
    std::set<std::string> fired;
    for (auto& v : r.violations)
      fired.insert(v.invariant);
    for (auto& name : fired)
      if (caught[name]++ == 0)
        first_by[name] = seed - from + 1;
    if (!why.empty()) {
      if (failed++ == 0) {
        first_failed = seed;
        first_invariant = r.violations.front().invariant;
      }
      if (!json || !expect_failure) {
        print_failure(opts, r, why);
        if (!no_minimise && r.violations.front().invariant != "determinism")
          print_minimised(opts, r);
      }
      if (!keep_going)
        break;
    }
  }
  auto secs = std::chrono::duration<double>(std::chrono::steady_clock::now() - t0).count();
  auto rate = secs > 0 ? static_cast<double>(ran) / secs : 0.0;
  if (json) {
    nlohmann::json j{{"from", from},       {"seeds", ran},         {"failed", failed},
                     {"seconds", secs},    {"seeds_per_s", rate},  {"steps", steps},
                     {"crashes", crashes}, {"clock_jumps", jumps}, {"plant", plant},
                     {"outcomes", outcomes}, {"failed_by_invariant", caught},
                     {"seeds_to_first_failure_by_invariant", first_by}};
    if (failed > 0) {
      j["first_failed_seed"] = first_failed;
      j["first_invariant"] = first_invariant;
      j["seeds_to_first_failure"] = first_failed - from + 1;
    }
    std::printf("%s\n", j.dump().c_str());
  } else {
    std::printf("sagaforge-sim: %llu seeds from %llu in %.2f s (%.1f seeds/s), %llu failed; "
                "%.0f steps/seed, %llu crashes, %llu clock jumps; plant %s\n",
                static_cast<unsigned long long>(ran), static_cast<unsigned long long>(from), secs,
                rate, static_cast<unsigned long long>(failed),
                ran ? static_cast<double>(steps) / static_cast<double>(ran) : 0.0,
                static_cast<unsigned long long>(crashes), static_cast<unsigned long long>(jumps),
                plant.c_str());
    std::string mix;
    for (auto& [k, v] : outcomes)
      mix += (mix.empty() ? "" : ", ") + k + " " + std::to_string(v);
    std::printf("exercised: %s\n", mix.c_str());
    std::string by;
    for (auto& [k, v] : caught)
      by += (by.empty() ? "" : ", ") + k + " " + std::to_string(v) + " (first after "
            + std::to_string(first_by[k]) + ")";
    if (!by.empty())
      std::printf("failed seeds by invariant: %s\n", by.c_str());
    if (failed > 0)
      std::printf("first failure: seed %llu (%llu seeds in), invariant %s\n",
                  static_cast<unsigned long long>(first_failed),
                  static_cast<unsigned long long>(first_failed - from + 1),
                  first_invariant.c_str());
  }
  if (expect_failure)
    return failed > 0 ? 0 : 1;
  return failed > 0 ? 1 : 0;
}
