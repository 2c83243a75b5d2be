// Timer service: a locked heap of (due, weak target, message) and one armed CAF tick.
#include "runtime/timer_service.hpp"

#include <chrono>

#include "caf/actor_system.hpp"
#include "caf/event_based_actor.hpp"
#include "caf/message_id.hpp"
#include "caf/send.hpp"

namespace sagaforge {

namespace {

using tick_atom = caf::atom_constant<caf::atom("tmr_tick")>;

} // namespace

void timer_service::set_ticker(caf::actor ticker) {
  std::lock_guard<std::mutex> guard{mu_};
  ticker_ = std::move(ticker);
  armed_at_ = not_armed;
  if (!heap_.empty())
    arm_locked(now_ms_());
}

timer_handle timer_service::schedule(int64_t due_ms, const caf::strong_actor_ptr& target,
                                     caf::message msg) {
  if (!target)
    return nullptr;
  auto handle = std::make_shared<std::atomic<bool>>(false);
  std::lock_guard<std::mutex> guard{mu_};
  heap_.push_back(entry{due_ms, next_order_++, caf::actor_cast<caf::weak_actor_ptr>(target),
                        std::move(msg), handle});
  std::push_heap(heap_.begin(), heap_.end(), std::greater<>{});
  if (tick_for(due_ms) < armed_at_)
    arm_locked(now_ms_());
  return handle;
}

void timer_service::cancel(const timer_handle& h) {
  if (!h || h->exchange(true))
    return;
  std::lock_guard<std::mutex> guard{mu_};
  if (++cancelled_ < compact_above || cancelled_ * 2 < heap_.size())
    return;
  // Most of the heap is dead weight (each entry holds a message): rebuild it without them.
  heap_.erase(std::remove_if(heap_.begin(), heap_.end(),
                             [](const entry& e) { return e.cancelled->load(); }),
              heap_.end());
  std::make_heap(heap_.begin(), heap_.end(), std::greater<>{});
  cancelled_ = 0;
}

void timer_service::arm_locked(int64_t now) {
  if (!ticker_ || heap_.empty())
    return;
  auto at = tick_for(heap_.front().due_ms);
  if (at >= armed_at_)
    return;
  armed_at_ = at;
  caf::delayed_anon_send(ticker_, std::chrono::milliseconds{std::max<int64_t>(0, at - now)},
                         tick_atom::value);
}

void timer_service::fire_due() {
  std::vector<entry> due;
  {
    std::lock_guard<std::mutex> guard{mu_};
    auto now = now_ms_();
    while (!heap_.empty() && heap_.front().due_ms <= now) {
      std::pop_heap(heap_.begin(), heap_.end(), std::greater<>{});
      if (heap_.back().cancelled->load()) {
        if (cancelled_ > 0)
          --cancelled_;
      } else {
        due.push_back(std::move(heap_.back()));
      }
      heap_.pop_back();
    }
    // The armed tick has fired (or an earlier one did): a later arming still pending only
    // costs a spare tick.
    if (armed_at_ <= now)
      armed_at_ = not_armed;
    arm_locked(now);
  }
  for (auto& e : due)
    if (!e.cancelled->load())  // cancelled between the pop and now
      if (auto target = e.target.lock())
        target->enqueue(nullptr, caf::make_message_id(), std::move(e.msg), nullptr);
}

size_t timer_service::pending() const {
  std::lock_guard<std::mutex> guard{mu_};
  return heap_.size();
}

namespace {

caf::behavior ticker_behavior(caf::event_based_actor*, timer_service* service) {
  return {[service](tick_atom) { service->fire_due(); }};
}

} // namespace

caf::actor spawn_timer_ticker(caf::actor_system& sys, timer_service& timers) {
  return sys.spawn(ticker_behavior, &timers);
}

} // namespace sagaforge
