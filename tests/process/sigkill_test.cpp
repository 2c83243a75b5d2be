// process.sigkill: a real node process (sagaforge-crash-driver: threaded group commit, LMDB
// with fsync durability) is SIGKILLed in the middle of a load, restarted on the same data
// folder, and checked; several cycles on one folder, one of them also killed again while
// the restarted node is still resending its outboxes. Every second cycle the load is also
// stopped (SIGSTOP) for 0.2-1.5 s and resumed (SIGCONT) halfway to its kill.
//
// The load (see crash_driver.cpp) goes through the node's client: Forward{dst(i), 1..9} and
// Add{1..9} to counter/src-i, Add{1000..9000} to counter/dst-j, where dst(i) = dst-(i mod 3).
// The driver reports each command ("I", before sending) and each ack ("K", after the ack,
// which follows the durable commit). Per (client, receiver) channel the runtime processes
// in send order and a crash loses only a suffix of commits, so after a cycle every counter
// must have taken exactly a prefix of the commands issued to it in that cycle. The amounts
// are positive, so a counter's value delta names that prefix (k) uniquely, and then:
//   - k >= the highest acknowledged seq      (no acknowledged step is lost)
//   - k <= the commands issued               (nothing beyond what was issued)
//   - the source's forwarded / applied deltas are exactly those of the prefix
//   - each destination's delta is exactly the forwards its senders recorded (their state,
//     not what was issued) plus a prefix of its direct adds, and its `applied` delta is the
//     number of those forwards plus that prefix length: an outbox resend after the restart
//     that took effect twice, or a forward lost from an outbox, breaks one of these.
//
// Environment: SAGAFORGE_SIGKILL_SEED (reproduce a run), SAGAFORGE_SIGKILL_CYCLES (default 5),
// TMPDIR (where the data folder goes; it is removed when the suite passes).
#define CAF_SUITE process.sigkill
#include "caf/test/unit_test.hpp"

#include "tests/process/counter_cycles.hpp"

using namespace sagaforge::testing;

namespace {

struct sigkill_fixture : counter_cycles {
  sigkill_fixture() : counter_cycles("sigkill", "SAGAFORGE_SIGKILL_SEED") {
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(sigkill_tests, sigkill_fixture)

CAF_TEST(no acknowledged step is lost and no effect applied twice across kill and restart cycles) {
  auto cycles = static_cast<int>(env_int("SAGAFORGE_SIGKILL_CYCLES", 5));
  CAF_REQUIRE_GREATER(cycles, 0);
  int backlog_cycle = cycles >= 3 ? 2 : cycles - 1;  // 0-based: the one killed twice
  CAF_MESSAGE("seed " << seed << " (SAGAFORGE_SIGKILL_SEED to repeat), " << cycles
                      << " cycles, data in " << dir);
  auto t_start = clock_type::now();
  int64_t all_acked = 0, resend_kills = 0;
  for (int cycle = 0; cycle < cycles; ++cycle) {
    bool backlog = cycle == backlog_cycle;
    // The backlog cycle runs with a window of 1 envelope per channel, so the sources'
    // outboxes fill up (destinations take one envelope per commit round trip) and the
    // restarted node has thousands of entries to resend when it is killed again.
    auto kill_after = uniform(800, 2000);
    pause_ms = cycle % 2 == 1 ? uniform(200, 1500) : 0;
    auto load = run_load(cycle, backlog ? 1 : 64, backlog ? 512 : 256, kill_after);
    CAF_MESSAGE("cycle " << cycle << ": SIGKILL after " << load.ran_ms << " ms of load ("
                         << kill_after << " ms after the first ack, SIGSTOPped "
                         << load.paused_ms << " ms on the way): " << load.issued
                         << " commands issued, " << load.acked << " acknowledged");
    CAF_CHECK(load.killed);
    CAF_CHECK_GREATER(load.acked, 0);
    all_acked += load.acked;
    if (backlog) {
      auto v = run_verify(cycle, 1, true, uniform(100, 400));
      CAF_MESSAGE("cycle " << cycle << ": restarted node SIGKILLed while resending, "
                           << v.outbox_at_kill << " outbox entries left (" << v.first_outbox
                           << " at its first progress report), after " << v.ms << " ms");
      if (v.killed) {
        ++resend_kills;
      } else {
        violation(cycle, "the restarted node drained before it could be killed (first "
                         "progress report: " + std::to_string(v.first_outbox)
                           + " outbox entries): the resend phase was not interrupted");
      }
      if (v.killed && !(WIFSIGNALED(v.status) && WTERMSIG(v.status) == SIGKILL))
        violation(cycle, "verify driver ended with " + child_process::describe_status(v.status)
                           + " instead of being killed");
    }
    auto v = run_verify(cycle, 64, false);
    CAF_MESSAGE("cycle " << cycle << ": restart drained " << v.first_outbox
                         << " outbox entries in " << v.ms << " ms; " << v.stats);
    check_drained(cycle, v);
    if (v.states.size() != static_cast<size_t>(n_sources + n_dests))
      continue;  // reported above; the arithmetic needs every counter
    check_cycle(cycle, v);
    before = v.states;
  }
  CAF_CHECK_EQUAL(violations, 0);
  CAF_CHECK_GREATER(all_acked, 0);
  CAF_CHECK_EQUAL(resend_kills, 1);
  int64_t total = 0;
  for (auto& [ref, s] : before)
    total += s.value;
  CAF_MESSAGE(cycles << " kill/restart cycles in " << ms_since(t_start) << " ms; "
                     << all_acked << " acknowledged commands; final sum of counter values "
                     << total);
}

CAF_TEST_FIXTURE_SCOPE_END()
