// process.diskfull: the store's file system fills up under load and empties again. The
// counter load of sagaforge-crash-driver (real node, threaded group commit, LMDB with fsync)
// runs on a small tmpfs; once it is acknowledging, the harness fills the tmpfs with a file.
// Checked:
//   - the node stops: no acknowledgement for the 2 s the disk stays full (its writer waits for
//     space instead of failing the node; commit_pipeline.hpp);
//   - it resumes by itself within 5 s of the file's removal (the writer retries every 250 ms);
//   - then it is SIGKILLed, restarted and checked as process.sigkill checks
//     (tests/process/counter_cycles.hpp): nothing acknowledged lost, nothing applied twice.
// Two cycles on one folder. Mounting needs CAP_SYS_ADMIN: without it the suite says SKIPPED.
// Environment: SAGAFORGE_DISKFULL_SEED (repeat a run), TMPDIR.
#define CAF_SUITE process.diskfull
#include "caf/test/unit_test.hpp"

#include <fcntl.h>
#include <unistd.h>

#include <cstdio>
#include <string>
#include <vector>

#include "tests/process/counter_cycles.hpp"
#include "tests/process/node_process.hpp"

using namespace sagaforge::testing;

namespace {

struct small_disk {
  tmpfs_mount disk{"48m"};
};

// small_disk first: bases are built in order, and the data folder goes on the tmpfs.
struct diskfull_fixture : small_disk, counter_cycles {
  diskfull_fixture()
    : counter_cycles("diskfull", "SAGAFORGE_DISKFULL_SEED",
                     disk.mounted() ? disk.path() : std::string{}) {
  }

  std::string filler() const {
    return disk.path() + "/filler";
  }

  /// Writes zeros to the filler file until the file system refuses: bytes written.
  int64_t fill() {
    int fd = ::open(filler().c_str(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (fd < 0)
      return -1;
    std::vector<char> zeros(1 << 16, 0);
    int64_t total = 0;
    for (;;) {
      auto n = ::write(fd, zeros.data(), zeros.size());
      if (n <= 0)
        break;
      total += n;
    }
    ::close(fd);
    return total;
  }
};

enum class phase { warm, full, held, freed, resumed };

} // namespace

CAF_TEST_FIXTURE_SCOPE(diskfull_tests, diskfull_fixture)

CAF_TEST(a full disk stops acknowledgements and freeing space resumes them within 5 s) {
  if (!disk.mounted()) {
    CAF_MESSAGE("disk full: SKIPPED, cannot mount a small tmpfs here: " << disk.error());
    return;
  }
  CAF_MESSAGE("seed " << seed << ", data in " << dir << " on a 48 MiB tmpfs");
  for (int cycle = 0; cycle < 2; ++cycle) {
    auto p = phase::warm;
    auto since = clock_type::now();
    int64_t acked_at = 0, filled = 0, stall_wait_ms = 0, resume_ms = -1, acked_while_full = 0;
    steer = [&](int64_t acked, int64_t quiet_ms) {
      auto in_phase = ms_since(since);
      auto next = [&](phase to) {
        p = to;
        since = clock_type::now();
        acked_at = acked;
      };
      switch (p) {
        case phase::warm:
          if (in_phase >= 300) {
            filled = fill();
            next(phase::full);
          }
          return false;
        case phase::full:  // until the acks stop (the writer meets the full disk)
          if (quiet_ms >= 1000) {
            stall_wait_ms = in_phase;
            next(phase::held);
          } else if (in_phase > 20000) {
            violation(cycle, "still acknowledging 20 s after the disk was filled");
            return true;
          }
          return false;
        case phase::held:  // full for 2 s more: nothing may be acknowledged
          if (in_phase >= 2000) {
            acked_while_full = acked - acked_at;
            std::remove(filler().c_str());
            next(phase::freed);
          }
          return false;
        case phase::freed:
          if (acked > acked_at) {
            resume_ms = in_phase;
            next(phase::resumed);
          } else if (in_phase > 10000) {
            violation(cycle, "no acknowledgement within 10 s of freeing the disk");
            return true;
          }
          return false;
        case phase::resumed:
          return in_phase >= 1000;
      }
      return false;
    };
    auto load = run_load(cycle, 64, 256, 60000);
    steer = nullptr;
    std::remove(filler().c_str());
    CAF_MESSAGE("cycle " << cycle << ": filled the disk with " << filled << " bytes; acks stopped "
                         << stall_wait_ms << " ms later (1 s without one), " << acked_while_full
                         << " acknowledged in the 2 s held full; resumed " << resume_ms
                         << " ms after the space was freed; SIGKILL after " << load.ran_ms
                         << " ms, " << load.acked << " acknowledged in all");
    CAF_CHECK(load.killed);
    CAF_CHECK_EQUAL(acked_while_full, 0);
    CAF_CHECK_GREATER_OR_EQUAL(resume_ms, 0);
    CAF_CHECK_LESS_OR_EQUAL(resume_ms, 5000);
    auto v = run_verify(cycle, 64, false);
    check_drained(cycle, v);
    if (v.states.size() != static_cast<size_t>(n_sources + n_dests))
      continue;  // reported by check_drained; the arithmetic needs every counter
    check_cycle(cycle, v);
    before = v.states;
  }
  CAF_CHECK_EQUAL(violations, 0);
}

CAF_TEST_FIXTURE_SCOPE_END()
