// In-memory store implementation.
#include "runtime/memory_store.hpp"

#include "runtime/errors.hpp"

namespace sagaforge {

std::string to_string(durability d) {
  switch (d) {
    case durability::fsync: return "fsync";
    case durability::nosync: return "nosync";
    case durability::memory: return "memory";
  }
  return "?";
}

caf::expected<durability> parse_durability(std::string_view s) {
  if (s == "fsync")
    return durability::fsync;
  if (s == "nosync")
    return durability::nosync;
  if (s == "memory")
    return durability::memory;
  return make_runtime_error(runtime_errc::invalid_config,
                            "durability must be fsync, nosync or memory, got '"
                              + std::string{s} + "'");
}

caf::error memory_store::write(const std::vector<mutation>& batch) {
  std::lock_guard<std::mutex> guard{mtx_};
  for (auto& m : batch) {
    auto& t = tables_[static_cast<size_t>(m.tbl)];
    if (m.erase)
      t.erase(m.key);
    else
      t[m.key] = m.value;
  }
  return {};
}

caf::expected<std::optional<std::string>> memory_store::get(table t, std::string_view key) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& tbl = tables_[static_cast<size_t>(t)];
  auto i = tbl.find(key);
  if (i == tbl.end())
    return std::optional<std::string>{};
  return std::optional<std::string>{i->second};
}

caf::error memory_store::scan(table t, std::string_view from, const visitor& f) {
  // Copy first: the visitor may call back into the store.
  std::vector<std::pair<std::string, std::string>> rows;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    auto& tbl = tables_[static_cast<size_t>(t)];
    for (auto i = tbl.lower_bound(from); i != tbl.end(); ++i)
      rows.emplace_back(i->first, i->second);
  }
  for (auto& [k, v] : rows)
    if (!f(k, v))
      break;
  return {};
}

caf::expected<std::optional<std::string>> memory_store::last_key(table t,
                                                                  std::string_view prefix) {
  std::lock_guard<std::mutex> guard{mtx_};
  auto& tbl = tables_[static_cast<size_t>(t)];
  std::optional<std::string> out;
  for (auto i = tbl.lower_bound(prefix);
       i != tbl.end() && i->first.compare(0, prefix.size(), prefix) == 0; ++i)
    out = i->first;
  return out;
}

void memory_store::poke(table t, const std::string& key, std::string value) {
  std::lock_guard<std::mutex> guard{mtx_};
  tables_[static_cast<size_t>(t)][key] = std::move(value);
}

} // namespace sagaforge
