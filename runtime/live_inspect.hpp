// The live report of an entity that is already active, without activating it (admin API's
// `live` view, `stuck`, `top`; node_runtime::inspect activates). Blocking (a scoped actor):
// call from a non-actor thread such as an HTTP worker.
#pragma once

#include <chrono>
#include <string>

#include "caf/expected.hpp"

#include "runtime/runtime_context.hpp"
#include "runtime_records.pb.h"

namespace sagaforge {

/// runtime.not_found when `ref` is not active now (also when it passivates while asked:
/// a report of another ref means the actor was recycled); runtime.timeout after `timeout`.
caf::expected<EntityReport> inspect_if_active(runtime_context& ctx, const std::string& ref,
                                              std::chrono::milliseconds timeout);

}  // namespace sagaforge
