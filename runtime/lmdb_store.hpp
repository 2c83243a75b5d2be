// LMDB store: one environment per node in <data-dir>, four named databases.
// Writes come from one thread (the group-commit writer); reads from any thread, each in
// its own read transaction (MDB_NOTLS). fsync = LMDB's default full sync per commit;
// nosync = MDB_NOSYNC (survives a process crash, not a power loss).
#pragma once

#include <lmdb.h>

#include <memory>
#include <string>

#include "runtime/data_folder.hpp"
#include "runtime/store.hpp"

namespace sagaforge {

class lmdb_store : public store {
public:
  /// Opens (creating if needed) the environment in `dir`: checks the folder, takes its
  /// exclusive lock for the store's life (data_folder.hpp), refuses a lost store, and
  /// checks that data.mdb covers every page its meta page names. Errors name the path and
  /// the cause; a damaged store is runtime.store_damaged. `verify_pages`: walk every page
  /// in a child process first (store_check.hpp).
  static caf::expected<std::shared_ptr<lmdb_store>>
  open(const std::string& dir, durability mode, size_t map_size_mb, bool verify_pages = true);

  ~lmdb_store() override;

  caf::error write(const std::vector<mutation>& batch) override;
  caf::expected<std::optional<std::string>> get(table t, std::string_view key) override;
  caf::error scan(table t, std::string_view from, const visitor& f) override;
  caf::expected<std::optional<std::string>> last_key(table t, std::string_view prefix) override;
  durability mode() const override {
    return mode_;
  }

private:
  lmdb_store() = default;

  std::unique_ptr<data_folder_lock> lock_;  // released after the environment is closed
  MDB_env* env_ = nullptr;
  std::string dir_;
  size_t map_size_mb_ = 0;
  MDB_dbi dbis_[table_count] = {};
  durability mode_ = durability::fsync;
};

} // namespace sagaforge
