// process.powerloss: power cuts, simulated. The counter load of sagaforge-crash-driver runs
// with powerloss_shim preloaded, which logs what every not-yet-durable write to data.mdb
// overwrites; the harness SIGKILLs it, rolls data.mdb back to what a power cut would have left
// (powerloss_undo.hpp: the content at the last fsync plus the O_DSYNC meta writes since), then
// restarts on the folder, drains and checks as process.sigkill does
// (tests/process/counter_cycles.hpp): every counter took a prefix of its commands holding
// every acknowledged one, no forward lost or applied twice.
//   - fsync mode: nothing acknowledged may be lost, whatever the cut removes;
//   - nosync mode (sensitivity): the same cut must make the same checks fail (acknowledged
//     steps lost), or they prove nothing about fsync mode.
// Long runs start on a new data folder every 25 cycles (start-up reads the whole log).
// Environment: SAGAFORGE_POWERLOSS_CYCLES (default 12; the `long` entry runs 200),
// SAGAFORGE_POWERLOSS_SEED (repeat a run), TMPDIR.
#define CAF_SUITE process.powerloss
#include "caf/test/unit_test.hpp"

#include <cstdlib>
#include <string>
#include <vector>

#include "tests/process/counter_cycles.hpp"
#include "tests/process/powerloss_undo.hpp"

#ifndef SAGAFORGE_POWERLOSS_SHIM
#error "SAGAFORGE_POWERLOSS_SHIM must name the powerloss shim library"
#endif

using namespace sagaforge::testing;

namespace {

struct powerloss_fixture : counter_cycles {
  powerloss_fixture() : counter_cycles("powerloss", "SAGAFORGE_POWERLOSS_SEED") {
  }

  std::string log_path() const {
    return dir + ".powerloss-log";  // beside the data folder: the node owns what is inside
  }

  ~powerloss_fixture() {
    std::remove(log_path().c_str());
  }

  std::vector<std::string> shim_env() const {
    // An ASan build's executable wants its runtime first among the preloaded libraries; the
    // shim itself is not instrumented.
    std::string asan = std::getenv("ASAN_OPTIONS") ? std::getenv("ASAN_OPTIONS") : "";
    return {"LD_PRELOAD=" SAGAFORGE_POWERLOSS_SHIM, "SAGAFORGE_POWERLOSS_LOG=" + log_path(),
            "ASAN_OPTIONS=" + asan + (asan.empty() ? "" : ":") + "verify_asan_link_order=0"};
  }

  struct totals {
    int64_t cycles = 0, acked = 0, undone = 0, redone = 0, bytes_undone = 0, cut_records = 0;
  };

  /// Load, power cut, roll-back, restart, drain, check: `cycles` times on one folder.
  totals run_cycles(int cycles, bool nosync) {
    totals t;
    // A clean first start creates the store and closes it synced, as an installed node would
    // be before its first power cut.
    auto first = run_verify(-1, 64, false);
    if (!first.done || !WIFEXITED(first.status) || WEXITSTATUS(first.status) != 0)
      violation(-1, "the first start ended with " + child_process::describe_status(first.status));
    std::vector<std::string> extra;
    if (nosync)
      extra = {"--nosync", "1"};
    for (int cycle = 0; cycle < cycles; ++cycle) {
      if (cycle > 0 && cycle % 25 == 0) {  // bounded start-up (see fresh_folder)
        fresh_folder();
        auto again = run_verify(cycle, 64, false);
        if (!again.done || !WIFEXITED(again.status) || WEXITSTATUS(again.status) != 0)
          violation(cycle, "the start on a new folder ended with "
                             + child_process::describe_status(again.status));
      }
      auto load = run_load(cycle, 64, 256, uniform(300, 1500), shim_env(), extra);
      auto rb = roll_back_unsynced(log_path(), dir + "/data.mdb");
      ++t.cycles;
      t.acked += load.acked;
      t.undone += rb.undone;
      t.redone += rb.redone;
      t.bytes_undone += rb.bytes_undone;
      t.cut_records += rb.cut_record ? 1 : 0;
      CAF_MESSAGE("cycle " << cycle << ": power cut after " << load.ran_ms << " ms, "
                           << load.acked << " acknowledged; " << rb.undone
                           << " unsynced writes undone (" << rb.bytes_undone << " bytes), "
                           << rb.redone << " synchronous meta writes kept");
      auto v = run_verify(cycle, 64, false);
      check_drained(cycle, v);
      if (v.states.size() != static_cast<size_t>(n_sources + n_dests))
        continue;  // reported by check_drained; the arithmetic needs every counter
      check_cycle(cycle, v);
      before = v.states;
    }
    return t;
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(powerloss_tests, powerloss_fixture)

CAF_TEST(in fsync mode a power cut loses no acknowledged step and applies no effect twice) {
  auto cycles = static_cast<int>(env_int("SAGAFORGE_POWERLOSS_CYCLES", 12));
  CAF_REQUIRE_GREATER(cycles, 0);
  CAF_MESSAGE("seed " << seed << " (SAGAFORGE_POWERLOSS_SEED to repeat), " << cycles
                      << " cycles, data in " << dir);
  auto t0 = clock_type::now();
  auto t = run_cycles(cycles, false);
  CAF_CHECK_EQUAL(violations, 0);
  CAF_CHECK_GREATER(t.acked, 0);
  // The cuts must have removed something, or this proves nothing.
  CAF_CHECK_GREATER(t.undone, 0);
  CAF_CHECK_GREATER(t.redone, 0);
  CAF_MESSAGE(t.cycles << " power cuts in " << ms_since(t0) << " ms: " << t.acked
                       << " acknowledged commands, 0 lost, 0 applied twice; " << t.undone
                       << " unsynced writes undone (" << t.bytes_undone << " bytes), " << t.redone
                       << " synchronous meta writes kept, " << t.cut_records
                       << " logs ended mid-record");
}

CAF_TEST(in nosync mode the same power cut loses acknowledged steps and the checks see it) {
  counting_violations = true;
  auto t = run_cycles(2, true);
  CAF_MESSAGE("nosync: " << t.cycles << " power cuts, " << t.acked << " acknowledged, "
                         << t.undone << " unsynced writes undone; the checks found "
                         << violations << " violations");
  CAF_CHECK_GREATER(t.undone, 0);
  CAF_CHECK_GREATER(violations, 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
