// The node's coarse timer wheel: every delayed message of the runtime (resend ticks, durable
// timers, wake-ups of passivated entities) goes through one heap here, and only the earliest
// due time is armed on CAF's clock. CAF's clock wakes its thread for every delayed_send
// (a futex wake and two context switches each): that thread alone used ~10 % of a saga
// workload's CPU. Most schedules here are later than what is already armed and cost a
// locked heap push. Thread-safe; targets are held weakly, so a passivated actor's memory is
// not kept until its timer fires. A cancelled message is not delivered: a finished saga's
// resend tick and 30 s timeout would otherwise each wake it once more for nothing.
#pragma once

#include <algorithm>
#include <atomic>
#include <cstdint>
#include <functional>
#include <limits>
#include <memory>
#include <mutex>
#include <vector>

#include "caf/actor.hpp"
#include "caf/actor_control_block.hpp"
#include "caf/message.hpp"

namespace sagaforge {

/// Cancels one scheduled message (timer_service::cancel); null cancels nothing.
using timer_handle = std::shared_ptr<std::atomic<bool>>;

class timer_service {
public:
  /// `now_ms`: the runtime clock (CAF's clock plus a base, so tests can advance it).
  /// `granularity_ms`: CAF's clock is armed only for multiples of it, so timers due within
  /// one granule share a tick (and fire up to granularity_ms - 1 late).
  explicit timer_service(std::function<int64_t()> now_ms, int64_t granularity_ms = 1)
    : now_ms_(std::move(now_ms)), granularity_ms_(std::max<int64_t>(1, granularity_ms)) {}

  /// The actor that receives the armed ticks and calls fire_due() (spawn_timer_ticker).
  void set_ticker(caf::actor ticker);

  /// Delivers `msg` to `target` (anonymously) once the runtime clock reaches `due_ms`, if the
  /// target is still alive then and the returned handle was not cancelled.
  timer_handle schedule(int64_t due_ms, const caf::strong_actor_ptr& target, caf::message msg);

  /// The message will not be delivered (a no-op once it was). Its entry leaves the heap when
  /// due, or earlier when cancelled entries make up most of the heap.
  void cancel(const timer_handle& h);

  /// Sends every message due by now and arms CAF's clock for the next one.
  void fire_due();

  size_t pending() const;

private:
  struct entry {
    int64_t due_ms;
    uint64_t order;  // FIFO among equal due times
    caf::weak_actor_ptr target;
    caf::message msg;
    timer_handle cancelled;
    bool operator>(const entry& o) const {
      return due_ms != o.due_ms ? due_ms > o.due_ms : order > o.order;
    }
  };
  static constexpr int64_t not_armed = std::numeric_limits<int64_t>::max();
  static constexpr size_t compact_above = 1024;  // cancelled entries worth a rebuild

  /// Arms CAF's clock for the heap's top if nothing armed fires by then. Needs mu_.
  void arm_locked(int64_t now);

  /// The tick that fires a timer due at `due_ms`: the next multiple of the granularity.
  int64_t tick_for(int64_t due_ms) const {
    return (due_ms + granularity_ms_ - 1) / granularity_ms_ * granularity_ms_;
  }

  std::function<int64_t()> now_ms_;
  int64_t granularity_ms_;
  mutable std::mutex mu_;
  std::vector<entry> heap_;  // a min-heap by (due_ms, order): std::greater with *_heap
  size_t cancelled_ = 0;     // entries in heap_ cancelled (an estimate; exact after a rebuild)
  uint64_t next_order_ = 0;
  int64_t armed_at_ = not_armed;  // earliest tick armed on CAF's clock and not yet handled
  caf::actor ticker_;
};

/// The ticker actor of a timer service; the service must outlive it (node_runtime stops it
/// before the runtime context goes).
caf::actor spawn_timer_ticker(caf::actor_system& sys, timer_service& timers);

} // namespace sagaforge
