// Node services shared by the entity actors.
#include "runtime/runtime_context.hpp"

#include <algorithm>
#include <chrono>

#include "caf/actor_clock.hpp"
#include "caf/send.hpp"

#include "runtime/messages.hpp"

namespace sagaforge {

runtime_context::runtime_context(caf::actor_system& sys, runtime_settings cfg, store_ptr st,
                                 commit_pipeline::options commit_opts)
  : sys_(sys), cfg_(std::move(cfg)), store_(std::move(st)),
    log_seq_(new std::atomic<uint64_t>[static_cast<size_t>(cfg_.shard_count)]) {
  for (int64_t i = 0; i < cfg_.shard_count; ++i)
    log_seq_[i].store(0);
  unattributable_.assign(static_cast<size_t>(cfg_.shard_count), 0);
  pipeline_ = std::make_unique<commit_pipeline>(store_, commit_opts);
  using namespace std::chrono;
  auto wall = duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
  auto mono = duration_cast<milliseconds>(sys_.clock().now().time_since_epoch()).count();
  clock_base_ms_ = wall - mono;
  timers_ = std::make_unique<timer_service>([this] { return now_ms(); },
                                            cfg_.timer_granularity_ms);
}

void runtime_context::register_type(entity_logic_ptr logic) {
  auto name = logic->type_name();
  types_[name] = std::move(logic);
}

const entity_logic* runtime_context::logic_for(std::string_view type) const {
  auto i = types_.find(std::string{type});
  return i == types_.end() ? nullptr : i->second.get();
}

int64_t runtime_context::now_ms() const {
  using namespace std::chrono;
  return clock_base_ms_
         + duration_cast<milliseconds>(sys_.clock().now().time_since_epoch()).count();
}

uint32_t runtime_context::snapshot_every(const entity_logic& logic) const {
  return cfg_.snapshot_every_records > 0 ? static_cast<uint32_t>(cfg_.snapshot_every_records)
                                         : logic.snapshot_every();
}

} // namespace sagaforge

namespace sagaforge {

void runtime_context::schedule_wake(const std::string& ref, int64_t at_ms) {
  if (!waker_)
    return;
  timers_->schedule(at_ms, caf::actor_cast<caf::strong_actor_ptr>(waker_),
                    caf::make_message(wake_atom::value, ref));
}

} // namespace sagaforge

namespace sagaforge {

uint64_t runtime_context::observe(const std::string& type, state_observer f) {
  std::unique_lock<std::shared_mutex> guard{observers_mu_};
  auto id = ++next_observer_id_;
  observers_.push_back(observer_entry{id, type, std::move(f)});
  observer_count_.store(observers_.size());
  return id;
}

void runtime_context::unobserve(uint64_t id) {
  std::unique_lock<std::shared_mutex> guard{observers_mu_};
  observers_.erase(std::remove_if(observers_.begin(), observers_.end(),
                                  [id](const observer_entry& o) { return o.id == id; }),
                   observers_.end());
  observer_count_.store(observers_.size());
}

void runtime_context::notify_committed(const entity_logic& logic, const std::string& ref,
                                       const pb_message& state) {
  std::shared_lock<std::shared_mutex> guard{observers_mu_};
  for (auto& o : observers_)
    if (o.type == logic.type_name())
      o.f(ref, state);
}

} // namespace sagaforge
