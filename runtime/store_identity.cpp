// Store identity: meta copy, file copy, shard count.
#include "runtime/store_identity.hpp"

#include <spdlog/spdlog.h>

#include "runtime/data_folder.hpp"
#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

constexpr const char* key_id = "store_id";
constexpr const char* key_created = "created_ms";
constexpr const char* key_shards = "shard_count";

caf::expected<std::optional<store_identity>> read_meta(store& st) {
  auto id = st.get(table::meta, key_id);
  if (!id)
    return id.error();
  if (!*id)
    return std::optional<store_identity>{};
  store_identity out;
  out.store_id = **id;
  for (auto [key, field] : {std::pair{key_created, &store_identity::created_ms},
                            std::pair{key_shards, &store_identity::shard_count}}) {
    auto v = st.get(table::meta, key);
    if (!v)
      return v.error();
    try {
      out.*field = *v ? std::stoll(**v) : 0;
    } catch (const std::exception&) {
      out.*field = 0;
    }
  }
  if (out.store_id.size() != 32 || out.shard_count <= 0)
    return make_runtime_error(runtime_errc::store_damaged,
                              "the store's identity in its meta table is unreadable: store "
                              "damaged, restore from backup");
  return std::optional<store_identity>{std::move(out)};
}

caf::error write_meta(store& st, const store_identity& id) {
  return st.write({mutation{table::meta, key_id, id.store_id, false},
                   mutation{table::meta, key_created, std::to_string(id.created_ms), false},
                   mutation{table::meta, key_shards, std::to_string(id.shard_count), false}});
}

caf::expected<bool> holds_records(store& st) {
  for (auto t : {table::log, table::snapshots}) {
    auto last = st.last_key(t, {});
    if (!last)
      return last.error();
    if (*last)
      return true;
  }
  return false;
}

std::string where(const std::string& dir) {
  return dir.empty() ? std::string{"the store"} : "the store in " + dir;
}

/// No identity in meta: a new store, or one written before identities existed.
caf::error adopt_identity(store& st, const std::string& dir, int64_t shard_count,
                          const std::optional<store_identity>& file) {
  if (file)
    return make_runtime_error(
      runtime_errc::store_damaged,
      where(dir) + " is empty or was replaced, but " + dir + "/" + identity_file_name
        + " says it held store " + file->store_id
        + ": store lost, restore the folder from backup (to start an empty store on purpose, "
          "remove "
        + identity_file_name + " too)");
  auto old = holds_records(st);
  if (!old)
    return old.error();
  auto id = make_store_identity(shard_count);
  if (*old)
    spdlog::info("{} predates store identities: it is now store {} with {} shards", where(dir),
                 id.store_id, shard_count);
  if (auto err = write_meta(st, id))
    return err;
  return dir.empty() ? caf::error{} : write_identity_file(dir, id);
}

} // namespace

caf::error check_store_identity(store& st, const std::string& dir, int64_t shard_count) {
  std::optional<store_identity> file;
  if (!dir.empty()) {
    auto f = read_identity_file(dir);
    if (!f)
      return f.error();
    file = std::move(*f);
  }
  auto meta = read_meta(st);
  if (!meta)
    return meta.error();
  if (!*meta)
    return adopt_identity(st, dir, shard_count, file);
  auto& id = **meta;
  if (file && file->store_id != id.store_id)
    return make_runtime_error(runtime_errc::store_damaged,
                              dir + "/data.mdb is store " + id.store_id + " but " + dir + "/"
                                + identity_file_name + " names store " + file->store_id
                                + ": the folder mixes two stores; restore it from backup");
  if (id.shard_count != shard_count)
    return make_runtime_error(
      runtime_errc::invalid_config,
      where(dir) + " was created with " + std::to_string(id.shard_count)
        + " shards, the configuration says " + std::to_string(shard_count)
        + ": the shard count is fixed for the life of a store; set "
          "sagaforge.store.shard-count="
        + std::to_string(id.shard_count));
  if (!dir.empty() && !file) {
    spdlog::warn("{}/{} was missing: written again from the store's own copy", dir,
                 identity_file_name);
    return write_identity_file(dir, id);
  }
  return {};
}

} // namespace sagaforge
