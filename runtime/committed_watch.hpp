// A subscription to one entity's committed steps: what `?wait=` of the HTTP face, the
// console's `watch` and workload drivers use instead of polling. Built on
// runtime_context::observe, so it sees a state only once it is durable and nothing later of
// that entity is in flight (consecutive states may be coalesced into the last one).
// Create and wait on a non-actor thread (an HTTP worker); the check runs on the entity's
// actor and must be cheap.
#pragma once

#include <chrono>
#include <condition_variable>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string>

#include "runtime/runtime_context.hpp"

namespace sagaforge {

class committed_watch {
public:
  /// True for the state the waiter waits for (e.g. a terminal saga status).
  using predicate = std::function<bool(const pb_message& state)>;

  /// Starts watching `ref` (a valid entity ref). Create it before reading the current
  /// state, so no commit falls between that read and the subscription.
  committed_watch(runtime_context& ctx, std::string ref, predicate done);
  ~committed_watch();

  committed_watch(const committed_watch&) = delete;
  committed_watch& operator=(const committed_watch&) = delete;

  /// Waits until a committed state satisfies the predicate; returns that state serialized,
  /// or nothing when `deadline` passes first.
  std::optional<std::string> wait_until(std::chrono::steady_clock::time_point deadline);

  /// Committed states seen so far (tests).
  uint64_t seen() const;

private:
  struct shared;
  runtime_context& ctx_;
  std::shared_ptr<shared> state_;
  uint64_t observer_id_ = 0;
};

}  // namespace sagaforge
