// Dead letters for operators (admin API, console `dl show` / `dl drop`): one record by id,
// and dropping one. Listing and replay are node_runtime's (dead_letters, replay_dead_letter).
// Direct store access outside any entity's step: dead letters are bookkeeping, not state.
#pragma once

#include <cstdint>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "runtime/store.hpp"
#include "runtime_records.pb.h"

namespace sagaforge {

/// runtime.not_found when there is no dead letter `id`.
caf::expected<DeadLetter> get_dead_letter(store& st, uint64_t id);

/// Deletes dead letter `id` (runtime.not_found when there is none).
caf::error drop_dead_letter(store& st, uint64_t id);

}  // namespace sagaforge
