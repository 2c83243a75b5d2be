// The counter entity ("counter/<id>"): a sample persistent entity the runtime's tests, the
// demo and the benchmark use. Messages in schemas/counter.proto. Not a domain entity.
#pragma once

#include <cstdint>

#include "runtime/entity_logic.hpp"

namespace sagaforge::counter {

/// `snapshot_every`: records between snapshots (0 = never snapshot).
entity_logic_ptr make_counter_logic(uint32_t snapshot_every = 100);

} // namespace sagaforge::counter
