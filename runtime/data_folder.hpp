// The node's data folder (store.data-dir) as an identity the node owns: the path checked
// before anything is created in it, an exclusive lock held for the process's whole life (two
// nodes on one folder write over each other's log keys and corrupt the store for good), and
// the identity file `sagaforge.id` that outlives a lost or emptied data.mdb, so a node knows
// it had data and refuses to start afresh on an empty store (docs/operations.md, "Data folder").
// Used from the thread that opens the store; no actor context.
#pragma once

#include <cstdint>
#include <memory>
#include <optional>
#include <string>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace sagaforge {

/// Checks `dir` and creates it when its parent exists: an empty path, a missing parent, a
/// path that is a file or a device, and a read-only or unwritable folder are refused with the
/// path and the cause (runtime.store_failed).
caf::error prepare_data_folder(const std::string& dir);

/// An exclusive lock on `<dir>/sagaforge.lock` (flock; the kernel drops it when the process
/// ends, kill -9 included). The file holds the owner's pid for the message of the next one.
class data_folder_lock {
public:
  /// Refuses with runtime.store_failed, naming the folder and the holder's pid, when another
  /// process (or another store object of this process) holds it.
  static caf::expected<std::unique_ptr<data_folder_lock>> acquire(const std::string& dir);

  ~data_folder_lock();
  data_folder_lock(const data_folder_lock&) = delete;
  data_folder_lock& operator=(const data_folder_lock&) = delete;

private:
  explicit data_folder_lock(int fd) : fd_(fd) {}
  int fd_;
};

/// What a store is, kept twice: in the store's `meta` table and in `<dir>/sagaforge.id`.
struct store_identity {
  std::string store_id;  // 32 hex digits, random at creation
  int64_t created_ms = 0;
  int64_t shard_count = 0;

  bool operator==(const store_identity& other) const {
    return store_id == other.store_id && created_ms == other.created_ms
           && shard_count == other.shard_count;
  }
};

/// A new identity (random id, now).
store_identity make_store_identity(int64_t shard_count);

constexpr const char* identity_file_name = "sagaforge.id";

/// Reads `<dir>/sagaforge.id`: none when absent; runtime.store_damaged when unreadable.
caf::expected<std::optional<store_identity>> read_identity_file(const std::string& dir);

/// Writes it atomically (temporary file, fsync, rename, fsync of the folder).
caf::error write_identity_file(const std::string& dir, const store_identity& id);

/// Before the store is opened (LMDB would create a missing data.mdb, and take a zero-length
/// one for a new environment): when the identity file says the folder held a store, data.mdb
/// must exist and not be empty, or the start is refused with runtime.store_damaged.
caf::error check_store_file_present(const std::string& dir);

} // namespace sagaforge
