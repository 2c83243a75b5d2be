// Reading many entities until each has reached a state, for checks and tools (the demo's
// store-wide checks wait for every saga the store holds to finish). Reads go through
// node_runtime::inspect, which activates each entity: not for the step path. Call from a
// non-actor thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include "runtime/errors.hpp"
#include "runtime/node_runtime.hpp"

namespace sagaforge {

/// Reads `ref`'s state as `State`; false when it cannot be read within `timeout` or the
/// entity is broken, with the reason in `why` if given. A failed inspection is tried again
/// every 200 ms until then: in a cluster the member serving `ref` can be briefly unreachable
/// (re-registering after a control-plane outage, a shard map being rewritten).
template <class State>
bool read_entity_state(node_runtime& node, const std::string& ref, State& out,
                       std::chrono::milliseconds timeout = std::chrono::seconds{5},
                       std::string* why = nullptr) {
  auto deadline = std::chrono::steady_clock::now() + timeout;
  for (;;) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
      deadline - std::chrono::steady_clock::now());
    auto rep = node.inspect(ref, std::max(left, std::chrono::milliseconds{1}));
    if (rep && !rep->error().empty()) {  // broken: asking again changes nothing
      if (why)
        *why = rep->error();
      return false;
    }
    if (rep && out.ParseFromString(rep->state()))
      return true;
    if (why)
      *why = rep ? "its state does not parse as " + out.GetTypeName() : describe(rep.error());
    if (std::chrono::steady_clock::now() + std::chrono::milliseconds{200} >= deadline)
      return false;
    std::this_thread::sleep_for(std::chrono::milliseconds{200});
  }
}

/// Inspects every entity of `type` the node knows until `done(report)` holds for each, the
/// deadline passes or the store fails; every 100 ms it reads again those not done yet.
/// Returns the refs still not done (empty: all are), and hands each done report to `on_done`
/// once.
std::vector<std::string>
await_entities(node_runtime& node, std::string_view type,
               const std::function<bool(const EntityReport&)>& done,
               std::chrono::steady_clock::time_point deadline,
               const std::function<void(const EntityReport&)>& on_done = {});

} // namespace sagaforge
