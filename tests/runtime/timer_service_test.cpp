// The timer service: messages fire in due order (FIFO among equal due times), not before
// they are due, only the earliest due time is armed on CAF's clock, and a target that is
// gone by then is skipped (held weakly) without harm; with a granularity, timers due in one
// granule share a tick; cancelled messages are not delivered and do not pile up.
#define CAF_SUITE runtime.timer_service
#include "caf/test/dsl.hpp"

#include <memory>
#include <vector>

#include "runtime/timer_service.hpp"

using namespace sagaforge;
using namespace std::chrono_literals;

namespace {

using fired_list = std::shared_ptr<std::vector<int>>;

caf::behavior collector(caf::event_based_actor*, fired_list fired) {
  return {[fired](int x) { fired->push_back(x); }};
}

struct fixture : test_coordinator_fixture<> {
  fired_list fired = std::make_shared<std::vector<int>>();
  timer_service timers{[this] {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             sched.clock().now().time_since_epoch())
      .count();
  }};
  caf::actor ticker;
  caf::actor target;

  fixture() {
    ticker = spawn_timer_ticker(sys, timers);
    timers.set_ticker(ticker);
    target = sys.spawn(collector, fired);
    sched.run();
  }

  ~fixture() {
    caf::anon_send_exit(ticker, caf::exit_reason::user_shutdown);
    caf::anon_send_exit(target, caf::exit_reason::user_shutdown);
    sched.run();
  }

  int64_t now() {
    return std::chrono::duration_cast<std::chrono::milliseconds>(
             sched.clock().now().time_since_epoch())
      .count();
  }

  void at(int64_t offset_ms, int x, const caf::actor& to) {
    timers.schedule(now() + offset_ms, caf::actor_cast<caf::strong_actor_ptr>(to),
                    caf::make_message(x));
  }

  /// Moves the clock and runs whatever became due, including re-armed ticks. (The
  /// fixture's own run() would also fire timeouts that are not due yet.)
  void advance(std::chrono::milliseconds d) {
    sched.clock().advance_time(d);
    sched.run();
    while (sched.clock().trigger_expired_timeouts() > 0)
      sched.run();
  }

  size_t armed() { return sched.clock().schedule().size(); }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(timer_service_tests, fixture)

CAF_TEST(messages fire in due order and not before they are due) {
  at(300, 3, target);
  at(100, 1, target);
  at(200, 2, target);
  at(100, 11, target);
  advance(99ms);
  CAF_CHECK(fired->empty());
  advance(1ms);
  CAF_CHECK_EQUAL(*fired, (std::vector<int>{1, 11}));
  advance(100ms);
  CAF_CHECK_EQUAL(*fired, (std::vector<int>{1, 11, 2}));
  advance(500ms);
  CAF_CHECK_EQUAL(*fired, (std::vector<int>{1, 11, 2, 3}));
  CAF_CHECK_EQUAL(timers.pending(), 0u);
}

CAF_TEST(only the earliest due time is armed on the clock) {
  at(100, 1, target);
  CAF_CHECK_EQUAL(armed(), 1u);
  for (int i = 0; i < 50; ++i)
    at(200 + i, 100 + i, target);  // later than the armed tick: no new clock entry
  CAF_CHECK_EQUAL(armed(), 1u);
  at(50, 0, target);  // earlier: armed in addition
  CAF_CHECK_EQUAL(armed(), 2u);
  advance(300ms);
  CAF_CHECK_EQUAL(fired->size(), 52u);
  CAF_CHECK_EQUAL(fired->front(), 0);
  CAF_CHECK_EQUAL(timers.pending(), 0u);
}

CAF_TEST(a target that is gone is skipped and not kept alive) {
  auto gone = sys.spawn(collector, fired);
  at(100, 7, gone);
  at(150, 8, target);
  caf::anon_send_exit(gone, caf::exit_reason::user_shutdown);
  sched.run();
  caf::weak_actor_ptr weak = caf::actor_cast<caf::weak_actor_ptr>(gone);
  gone = nullptr;
  CAF_CHECK(weak.lock() == nullptr);  // the service did not hold it
  advance(200ms);
  CAF_CHECK_EQUAL(*fired, (std::vector<int>{8}));
}

CAF_TEST(a cancelled message is not delivered and cancelling twice or late is harmless) {
  auto to = caf::actor_cast<caf::strong_actor_ptr>(target);
  auto a = timers.schedule(now() + 100, to, caf::make_message(1));
  auto b = timers.schedule(now() + 100, to, caf::make_message(2));
  timers.cancel(a);
  timers.cancel(a);
  timers.cancel(nullptr);
  advance(100ms);
  CAF_CHECK_EQUAL(*fired, (std::vector<int>{2}));
  timers.cancel(b);  // after it fired: nothing to do
  CAF_CHECK_EQUAL(timers.pending(), 0u);
}

CAF_TEST(cancelled entries are purged once they make up most of the heap) {
  auto to = caf::actor_cast<caf::strong_actor_ptr>(target);
  std::vector<timer_handle> handles;
  for (int i = 0; i < 3000; ++i)
    handles.push_back(timers.schedule(now() + 30000, to, caf::make_message(i)));
  auto keep = timers.schedule(now() + 100, to, caf::make_message(-1));
  for (auto& h : handles)
    timers.cancel(h);
  // 3,000 cancelled of 3,001: rebuilt without them long before they fall due.
  CAF_CHECK_LESS(timers.pending(), 1500u);
  advance(100ms);
  CAF_CHECK_EQUAL(*fired, (std::vector<int>{-1}));
  advance(30000ms);
  CAF_CHECK_EQUAL(*fired, (std::vector<int>{-1}));
  CAF_CHECK_EQUAL(timers.pending(), 0u);
  (void)keep;
}

CAF_TEST(timers due within one granule share a tick and fire at its end) {
  timer_service coarse{[this] { return now(); }, 10};
  auto coarse_ticker = spawn_timer_ticker(sys, coarse);
  coarse.set_ticker(coarse_ticker);
  auto base = now() / 10 * 10;  // on a granule boundary
  advance(std::chrono::milliseconds{base + 10 - now()});
  base += 10;
  auto to = caf::actor_cast<caf::strong_actor_ptr>(target);
  auto armed_before = armed();
  coarse.schedule(base + 1, to, caf::make_message(1));
  coarse.schedule(base + 4, to, caf::make_message(4));
  coarse.schedule(base + 10, to, caf::make_message(10));
  CAF_CHECK_EQUAL(armed(), armed_before + 1);  // one tick, at base + 10, for all three
  advance(9ms);
  CAF_CHECK(fired->empty());  // due, but their tick has not come
  advance(1ms);
  CAF_CHECK_EQUAL(*fired, (std::vector<int>{1, 4, 10}));
  coarse.schedule(base + 11, to, caf::make_message(11));
  advance(9ms);
  CAF_CHECK_EQUAL(fired->size(), 3u);
  advance(1ms);  // the next granule's tick, never before the due time
  CAF_CHECK_EQUAL(fired->back(), 11);
  caf::anon_send_exit(coarse_ticker, caf::exit_reason::user_shutdown);
  sched.run();
}

CAF_TEST_FIXTURE_SCOPE_END()
