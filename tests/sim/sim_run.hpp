// sim_run: one seed's simulation — the node on CAF's deterministic test coordinator, the
// seed's workload, its faults and its scheduling choices, then the checker over the quiet
// node. Everything random comes from the seed, so a seed replays exactly (its trace hash says so).
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

#include "tests/sim/sim_check.hpp"
#include "tests/sim/sim_network.hpp"

namespace sagaforge::sim {

struct sim_options {
  uint64_t seed = 1;
  net_plants plants;
  bool plant_lose_unsynced = false;  // the store forgets unsynced writes at a crash
  bool plant_forget_dedup = false;   // the store hides de-dup records from the runtime's reads
  bool plant_nondeterminism = false;  // each run of a seed schedules a little differently
  size_t trace_keep = 30;
  uint64_t max_steps = 1'000'000;
  std::string lmdb_dir;  // "": the memory store; else LMDB (nosync) in <dir>/seed-N
  bool long_outages = false;  // pauses and clock steps beyond retry.max-age-ms (findings)
  std::vector<std::string> inspect;  // refs whose full report a run prints at its end
  /// Fault classes switched off after the seed chose its faults (its other choices stay):
  /// what a minimised failure leaves out. Names: fault_classes().
  std::set<std::string> without;
};

/// The fault classes a seed may turn on, as sim_options::without and sim_result name them.
const std::vector<std::string>& fault_classes();

struct sim_result {
  uint64_t seed = 0;
  std::vector<violation> violations;  // empty: every invariant held
  std::vector<std::string> trace_tail;
  uint64_t hash = 0;
  uint64_t steps = 0;
  int crashes = 0;
  int clock_jumps = 0;
  uint64_t duplicates = 0, delays = 0, drops = 0, planted = 0;
  int64_t virtual_ms = 0;
  size_t commands = 0;
  std::string faults;  // the seed's fault settings, one line
  std::vector<std::string> active_faults;  // the classes on in this run (fault_classes())
  std::map<std::string, int64_t> outcomes;  // e.g. "order CONFIRMED" -> count: what was exercised
};

sim_result run_seed(const sim_options& opts);

} // namespace sagaforge::sim
