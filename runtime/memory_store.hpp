// In-memory store: the `memory` durability mode and the base of the tests' store doubles.
// Survives an actor system being torn down and rebuilt (tests keep the object), so a
// "crash" in a message-level test loses exactly what was not written.
#pragma once

#include <map>
#include <mutex>

#include "runtime/store.hpp"

namespace sagaforge {

class memory_store : public store {
public:
  caf::error write(const std::vector<mutation>& batch) override;
  caf::expected<std::optional<std::string>> get(table t, std::string_view key) override;
  caf::error scan(table t, std::string_view from, const visitor& f) override;
  caf::expected<std::optional<std::string>> last_key(table t, std::string_view prefix) override;
  durability mode() const override {
    return durability::memory;
  }

  /// Overwrites a raw value (tests: corrupt a record on purpose).
  void poke(table t, const std::string& key, std::string value);

private:
  std::mutex mtx_;
  std::map<std::string, std::string, std::less<>> tables_[table_count];
};

} // namespace sagaforge
