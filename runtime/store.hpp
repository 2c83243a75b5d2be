// The store: the runtime's only view of durable storage. Four tables of byte keys and
// values, written in atomic batches by the group-commit writer (one thread) and read by
// any thread. Implementations: lmdb_store (fsync / nosync) and memory_store (tests, and the
// fault-injecting double in tests/support). Key layout: docs/storage-format.md.
#pragma once

#include <cstdint>
#include <functional>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "caf/error.hpp"
#include "caf/expected.hpp"

namespace sagaforge {

enum class table : uint8_t {
  log = 0,           // (shard u32 BE, seq u64 BE) -> StepRecord
  snapshots = 1,     // ref -> EntitySnapshot
  dead_letters = 2,  // id u64 BE -> DeadLetter
  meta = 3,          // name -> value
};
constexpr size_t table_count = 4;

struct mutation {
  table tbl;
  std::string key;
  std::string value;  // ignored when erase
  bool erase = false;
};

enum class durability { fsync, nosync, memory };

std::string to_string(durability d);

/// Parses "fsync" | "nosync" | "memory".
caf::expected<durability> parse_durability(std::string_view s);

class store {
public:
  /// Visitor for scans: return false to stop.
  using visitor = std::function<bool(std::string_view key, std::string_view value)>;

  virtual ~store() = default;

  /// Applies all mutations atomically and durably (per the store's mode).
  virtual caf::error write(const std::vector<mutation>& batch) = 0;

  /// Reads one value; an empty optional when absent.
  virtual caf::expected<std::optional<std::string>> get(table t, std::string_view key) = 0;

  /// Visits keys >= from in ascending order.
  virtual caf::error scan(table t, std::string_view from, const visitor& f) = 0;

  /// Largest key of a table with the given prefix, if any.
  virtual caf::expected<std::optional<std::string>> last_key(table t, std::string_view prefix) = 0;

  virtual durability mode() const = 0;
};

using store_ptr = std::shared_ptr<store>;

} // namespace sagaforge
