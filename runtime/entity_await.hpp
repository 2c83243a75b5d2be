// Reading many entities until each has reached a state, for checks and tools (the demo's
// store-wide checks wait for every saga the store holds to finish). Reads go through
// node_runtime::inspect, which activates each entity: not for the step path. Call from a
// non-actor thread.
#pragma once

#include <chrono>
#include <functional>
#include <string>
#include <string_view>
#include <vector>

#include "runtime/node_runtime.hpp"

namespace sagaforge {

/// Reads `ref`'s state as `State`; false when it cannot be read or the entity is broken.
template <class State>
bool read_entity_state(node_runtime& node, const std::string& ref, State& out,
                       std::chrono::milliseconds timeout = std::chrono::seconds{5}) {
  auto rep = node.inspect(ref, timeout);
  return rep && rep->error().empty() && out.ParseFromString(rep->state());
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
