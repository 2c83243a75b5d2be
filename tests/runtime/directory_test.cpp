// The directory's choice of entities for the idle/LRU sweep: every unpinned entity idle for
// the timeout, and above the active cap the least recently active unpinned ones down to the
// cap; pinned entities (work in flight) never. And the pool of recycled actors: bounded,
// handed to activations, exited at shutdown.
#define CAF_SUITE runtime.directory
#include "caf/test/dsl.hpp"

#include <algorithm>
#include <map>
#include <string>
#include <vector>

#include "runtime/directory.hpp"

using namespace sagaforge;

namespace {

// (An argument on purpose: CAF 0.17 spawns a function without arguments through a null
// shared_ptr<tuple<>>, which UBSan reports.)
caf::behavior idle_actor(caf::event_based_actor*, int) {
  return {[](int) {}};
}

struct fixture : test_coordinator_fixture<> {
  std::map<std::string, active_entry_ptr> entries;
  std::map<caf::actor_addr, std::string> ref_of;
  directory dir{4, [this](const std::string& ref, uint64_t, active_entry_ptr e, caf::actor) {
                  auto a = sys.spawn(idle_actor, 0);
                  entries[ref] = e;
                  ref_of[a.address()] = ref;
                  return a;
                }};

  /// Activates "counter/e<i>" with the given last activity.
  void add(int i, int64_t last_active_ms, bool pinned = false) {
    auto ref = "counter/e" + std::to_string(i);
    CAF_REQUIRE(dir.lookup(ref, true));
    sched.run();  // let the actor initialize before anything else reaches it
    entries[ref]->last_active_ms = last_active_ms;
    entries[ref]->pinned = pinned;
  }

  std::vector<std::string> candidates(int64_t now, int64_t idle, size_t max_active) {
    std::vector<std::string> out;
    for (auto& [h, activation] : dir.passivation_candidates(now, idle, max_active)) {
      CAF_CHECK_EQUAL(activation, entries.at(ref_of.at(h.address()))->activation);
      out.push_back(ref_of.at(h.address()));
    }
    std::sort(out.begin(), out.end());
    return out;
  }

  ~fixture() {
    for (auto& h : dir.clear())
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
    sched.run();
  }
};

using refs = std::vector<std::string>;

} // namespace

CAF_TEST_FIXTURE_SCOPE(directory_tests, fixture)

CAF_TEST(below the cap only unpinned entities idle for the timeout are candidates) {
  add(1, 1000);        // idle since 1000
  add(2, 9000);        // recently active
  add(3, 500, true);   // idle but pinned: work in flight
  add(4, 4000);        // idle exactly the timeout at now = 9000
  CAF_CHECK_EQUAL(candidates(9000, 5000, 100), (refs{"counter/e1", "counter/e4"}));
  CAF_CHECK_EQUAL(candidates(6000, 5000, 100), (refs{"counter/e1"}));
  CAF_CHECK_EQUAL(candidates(5999, 5000, 100), refs{});
  CAF_CHECK_EQUAL(candidates(1000, 5000, 100), refs{});
}

CAF_TEST(above the cap the least recently active unpinned entities go down to the cap) {
  for (int i = 0; i < 10; ++i)
    add(i, 100 * (10 - i), i == 9);  // e9 is the oldest (100) but pinned; e0 the newest
  // 10 active, cap 7: three go, the oldest unpinned ones (e8 at 200, e7 at 300, e6 at 400).
  CAF_CHECK_EQUAL(candidates(1000, 1'000'000, 7),
                  (refs{"counter/e6", "counter/e7", "counter/e8"}));
  // When more are idle than the excess, every idle unpinned one goes.
  CAF_CHECK_EQUAL(candidates(1000, 450, 9),
                  (refs{"counter/e5", "counter/e6", "counter/e7", "counter/e8"}));
  // Everything pinned: nothing to pick even above the cap.
  for (auto& [ref, e] : entries)
    e->pinned = true;
  CAF_CHECK_EQUAL(candidates(1000, 0, 1), refs{});
}

CAF_TEST(the directory keeps recycled actors up to its bound and hands them to activations) {
  std::vector<caf::actor> handed;  // the idle actor each activation was given
  directory small{4,
                  [&](const std::string&, uint64_t, active_entry_ptr, caf::actor idle) {
                    handed.push_back(idle);
                    return idle ? idle : sys.spawn(idle_actor, 0);
                  },
                  1};
  auto one = sys.spawn(idle_actor, 0);
  auto two = sys.spawn(idle_actor, 0);
  CAF_CHECK(small.recycle(one));
  CAF_CHECK(!small.recycle(two));  // full: its caller exits it
  CAF_CHECK_EQUAL(small.idle_count(), 1u);
  CAF_CHECK_EQUAL(small.lookup("counter/x", true), one);
  CAF_CHECK_EQUAL(small.idle_count(), 0u);
  auto fresh = small.lookup("counter/y", true);
  CAF_CHECK(fresh && fresh != one);
  CAF_REQUIRE_EQUAL(handed.size(), 2u);
  CAF_CHECK_EQUAL(handed[0], one);
  CAF_CHECK(!handed[1]);
  CAF_CHECK(small.recycle(two));
  auto all = small.clear();  // shutdown: idle actors are exited too
  CAF_CHECK_EQUAL(all.size(), 3u);
  CAF_CHECK(std::find(all.begin(), all.end(), two) != all.end());
  CAF_CHECK_EQUAL(small.idle_count(), 0u);
  CAF_CHECK(!small.recycle(two));  // closed
  for (auto& h : all)
    caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  caf::anon_send_exit(two, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST_FIXTURE_SCOPE_END()
