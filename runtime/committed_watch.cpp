// committed_watch implementation (see committed_watch.hpp).
#include "runtime/committed_watch.hpp"

#include "runtime/entity_ref.hpp"

namespace sagaforge {

struct committed_watch::shared {
  std::string ref;
  predicate done;
  mutable std::mutex mtx;
  std::condition_variable cv;
  uint64_t seen = 0;
  std::optional<std::string> result;
};

committed_watch::committed_watch(runtime_context& ctx, std::string ref, predicate done)
  : ctx_(ctx), state_(std::make_shared<shared>()) {
  state_->ref = std::move(ref);
  state_->done = std::move(done);
  auto st = state_;
  observer_id_ = ctx_.observe(std::string{ref_type(st->ref)},
                              [st](const std::string& ref, const pb_message& state) {
                                if (ref != st->ref)
                                  return;
                                bool hit = st->done(state);
                                std::lock_guard<std::mutex> guard{st->mtx};
                                ++st->seen;
                                if (hit && !st->result) {
                                  st->result = state.SerializeAsString();
                                  st->cv.notify_all();
                                }
                              });
}

committed_watch::~committed_watch() {
  ctx_.unobserve(observer_id_);  // no callback runs after this returns (observe's lock)
}

std::optional<std::string>
committed_watch::wait_until(std::chrono::steady_clock::time_point deadline) {
  std::unique_lock<std::mutex> guard{state_->mtx};
  state_->cv.wait_until(guard, deadline, [&] { return state_->result.has_value(); });
  return state_->result;
}

uint64_t committed_watch::seen() const {
  std::lock_guard<std::mutex> guard{state_->mtx};
  return state_->seen;
}

}  // namespace sagaforge
