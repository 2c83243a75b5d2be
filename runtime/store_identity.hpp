// The store's identity at node start-up: store id, creation time and shard count kept in
// the store's `meta` table and, for a store in a data folder, in `<dir>/sagaforge.id` too
// (data_folder.hpp). Either copy can restore the other; an empty store where the folder says
// there was one, two copies that disagree, and a shard count other than the store's are
// refused (docs/operations.md, "Refusals at start-up"; docs/storage-format.md, "meta").
#pragma once

#include <cstdint>
#include <string>

#include "caf/error.hpp"

#include "runtime/store.hpp"

namespace sagaforge {

/// Reconciles the identity after the store is open and before the start-up scan:
///  - a new store (no identity, no records) gets one, in meta and then in the file;
///  - a store from before identities (records, no identity) adopts one with `shard_count`;
///  - an identity file without the store's own copy is runtime.store_damaged (the store was
///    emptied or replaced: restore from backup);
///  - a lost identity file is rewritten from meta;
///  - copies naming different stores are runtime.store_damaged;
///  - a `shard_count` other than the store's is runtime.invalid_config, naming both.
/// `dir` is empty for a store outside a folder (memory): only meta is used.
caf::error check_store_identity(store& st, const std::string& dir, int64_t shard_count);

} // namespace sagaforge
