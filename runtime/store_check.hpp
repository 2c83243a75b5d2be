// The start-up check of an LMDB store's pages, run in a child process so that what a damaged
// file does to a reader (SIGBUS past a truncated end, an LMDB assertion on a zeroed page)
// kills the child, not the node: the node then refuses to start with "store damaged: restore
// from backup" and the path, instead of dying without a word. The record checksums
// (record_codec.hpp) catch damage inside values; this catches damage to the tree itself.
#pragma once

#include <cstddef>
#include <string>

#include "caf/error.hpp"

namespace sagaforge {

/// Forks a child that opens `dir` read-only (no lock: the caller holds the folder's lock),
/// walks every key and value of every database of the environment, and reports. Returns
/// runtime.store_damaged with the path and what the child found or died of; nothing when
/// the walk passed. Safe to call from a process with threads: the child only runs LMDB's
/// read path and writes its verdict to a pipe before _exit.
caf::error verify_store_pages(const std::string& dir, size_t map_size_mb);

} // namespace sagaforge
