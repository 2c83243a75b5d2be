// process.failpoints: crash/restart cycles spread over the runtime's crash failpoints
// (runtime/failpoint.hpp). Each cycle arms one point in the counter load of
// sagaforge-crash-driver (real node: threaded group commit, LMDB with fsync) with
// SAGAFORGE_FAILPOINT=NAME:N for a random N, so the driver SIGKILLs itself exactly there:
// before a step is submitted, before or inside or after the group commit's write, after the
// commit before the sends, after the sends before the ack, after an ack before it is recorded.
// Every third cycle also arms a point in the restarted node, which then dies while it resends
// its outboxes. Each cycle then restarts cleanly, drains and is checked as process.sigkill
// checks it (tests/process/counter_cycles.hpp): every counter took exactly a prefix of its
// commands that holds every acknowledged one, no forward lost or applied twice.
//
// Long runs start on a new data folder every 25 cycles (start-up reads the whole log).
// Environment: SAGAFORGE_FAILPOINT_CYCLES (default 21: three per point; the `long` entry runs
// 1,000), SAGAFORGE_FAILPOINT_SEED (repeat a run), TMPDIR.
#define CAF_SUITE process.failpoints
#include "caf/test/unit_test.hpp"

#include <map>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/failpoint.hpp"
#include "tests/process/counter_cycles.hpp"

using namespace sagaforge::testing;
namespace failpoint = sagaforge::failpoint;

namespace {

struct failpoint_fixture : counter_cycles {
  failpoint_fixture() : counter_cycles("failpoints", "SAGAFORGE_FAILPOINT_SEED") {
  }

  /// The pass at which to crash: spread over about the first two seconds of a load here. The
  /// commit points pass once per group commit (~150/s under this load), the others once per
  /// step or ack (~20,000/s).
  int64_t pass_for(std::string_view point) {
    return per_commit(point) ? uniform(1, 300) : uniform(1, 30000);
  }

  /// The same in a restarted node, whose only work is its outboxes' resends (a few dozen
  /// steps and a handful of commits after a kill under this load).
  int64_t restart_pass_for(std::string_view point) {
    return per_commit(point) ? uniform(1, 3) : uniform(1, 30);
  }

  static bool per_commit(std::string_view point) {
    return point == failpoint::commit_before_write || point == failpoint::store_inside_write
           || point == failpoint::commit_after_write;
  }
};

struct point_tally {
  int64_t cycles = 0, reached = 0, acked = 0, applied_after = 0;
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(failpoint_tests, failpoint_fixture)

CAF_TEST(a crash at every failpoint loses no acknowledged step and applies no effect twice) {
#ifndef SAGAFORGE_WITH_FAILPOINTS
  CAF_FAIL("this build compiled the failpoints out (-DSAGAFORGE_FAILPOINTS=OFF)");
#endif
  auto cycles = static_cast<int>(env_int("SAGAFORGE_FAILPOINT_CYCLES", 21));
  CAF_REQUIRE_GREATER(cycles, 0);
  std::vector<std::string_view> points{failpoint::all_begin(), failpoint::all_end()};
  CAF_MESSAGE("seed " << seed << " (SAGAFORGE_FAILPOINT_SEED to repeat), " << cycles
                      << " cycles over " << points.size() << " failpoints, data in " << dir);
  auto t_start = clock_type::now();
  std::map<std::string_view, point_tally> tally;
  int64_t resend_crashes = 0, all_acked = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    if (cycle > 0 && cycle % 25 == 0)
      fresh_folder();  // bounded start-up (see fresh_folder)
    auto point = points[static_cast<size_t>(cycle) % points.size()];
    auto pass = pass_for(point);
    auto armed = "SAGAFORGE_FAILPOINT=" + std::string{point} + ":" + std::to_string(pass);
    // The harness kills the load itself if the point is not reached within 8 s of the first
    // ack (a pass beyond what the load makes): still a crash, counted as not reached.
    auto load = run_load(cycle, 64, 256, 8000, {armed});
    auto& t = tally[point];
    ++t.cycles;
    t.reached += load.self_killed ? 1 : 0;
    t.acked += load.acked;
    all_acked += load.acked;
    CAF_MESSAGE("cycle " << cycle << ": " << point << " pass " << pass << ": "
                         << (load.self_killed ? "crashed there" : "not reached, SIGKILLed")
                         << " after " << load.ran_ms << " ms; " << load.issued << " issued, "
                         << load.acked << " acknowledged");
    if (cycle % 3 == 2) {
      // The restarted node crashes too, at a point of its resend path.
      auto again = std::string{point} + ":" + std::to_string(restart_pass_for(point));
      auto v = run_verify(cycle, 64, false, 0, {"SAGAFORGE_FAILPOINT=" + again});
      bool crashed = WIFSIGNALED(v.status) && WTERMSIG(v.status) == SIGKILL;
      resend_crashes += crashed ? 1 : 0;
      if (!crashed && !(v.done && WIFEXITED(v.status) && WEXITSTATUS(v.status) == 0))
        violation(cycle, "the restart armed with " + again + " ended with "
                           + child_process::describe_status(v.status)
                           + (v.failure.empty() ? "" : " (" + v.failure + ")"));
      CAF_MESSAGE("cycle " << cycle << ": restart armed with " << again << ": "
                           << (crashed ? "crashed there" : "drained first") << " after " << v.ms
                           << " ms");
    }
    auto v = run_verify(cycle, 64, false);
    check_drained(cycle, v);
    if (v.states.size() != static_cast<size_t>(n_sources + n_dests))
      continue;  // reported by check_drained; the arithmetic needs every counter
    check_cycle(cycle, v);
    before = v.states;
  }
  CAF_CHECK_EQUAL(violations, 0);
  CAF_CHECK_GREATER(all_acked, 0);
  int64_t reached = 0;
  for (auto& [point, t] : tally) {
    reached += t.reached;
    CAF_MESSAGE(point << ": " << t.cycles << " cycles, crashed there in " << t.reached << ", "
                      << t.acked << " commands acknowledged before the crash");
    // Each point must actually be reached, or the suite proves nothing about it.
    if (t.cycles >= 3)
      CAF_CHECK_GREATER(t.reached, 0);
  }
  CAF_MESSAGE(cycles << " failpoint cycles in " << ms_since(t_start) << " ms: " << reached
                     << " crashed at their point, " << resend_crashes
                     << " restarts crashed while resending; " << all_acked
                     << " acknowledged commands, 0 lost, 0 applied twice");
}

CAF_TEST_FIXTURE_SCOPE_END()
