// The store's format marker (`meta` table, key "format"): which record layout a data folder
// holds, so a binary refuses a store written in a layout it cannot read instead of
// misreading it (docs/storage-format.md, "Format marker").
#pragma once

#include <cstdint>
#include <string_view>

#include "caf/error.hpp"
#include "caf/expected.hpp"

#include "runtime/store.hpp"

namespace sagaforge {

/// 1: every field of a log record stored. 2: derived fields left out. 3: records and dead
/// letters carry a CRC-32, the `pending` flag means deliveries only and a `wake` flag
/// carries the first timer's due time (this binary reads 1, 2 and 3). Raise it when records change so that an older binary could
/// misread them, and say in docs/storage-format.md what changed.
constexpr uint32_t store_format_current = 3;

constexpr std::string_view store_format_key = "format";

/// Node start-up: accepts a store of this format or an older readable one, refuses a newer
/// or unreadable marker (invalid_config, naming both formats), and writes the marker where
/// it is missing or older — a new store, or one written before the marker existed (its
/// records are of format 1 or 2, both readable here).
caf::error check_store_format(store& st);

/// The judging half of check_store_format, which writes nothing: true when the marker must
/// be written (missing or older), an error when the store must not be touched.
caf::expected<bool> judge_store_format(store& st);

/// Writes the current marker.
caf::error mark_store_format(store& st);

} // namespace sagaforge
