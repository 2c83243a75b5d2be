// LMDB store implementation.
#include "runtime/lmdb_store.hpp"

#include <sys/stat.h>

#include <cerrno>
#include <cstring>

#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

const char* table_names[table_count] = {"log", "snapshots", "dead_letters", "meta"};

caf::error lmdb_error(const char* what, int rc) {
  return make_runtime_error(runtime_errc::store_failed,
                            std::string{what} + ": " + mdb_strerror(rc));
}

MDB_val as_val(std::string_view s) {
  return MDB_val{s.size(), const_cast<char*>(s.data())};
}

std::string_view as_view(const MDB_val& v) {
  return {static_cast<const char*>(v.mv_data), v.mv_size};
}

/// Aborts a transaction on scope exit unless committed.
struct txn_guard {
  MDB_txn* txn = nullptr;
  ~txn_guard() {
    if (txn)
      mdb_txn_abort(txn);
  }
};

} // namespace

caf::expected<std::shared_ptr<lmdb_store>>
lmdb_store::open(const std::string& dir, durability mode, size_t map_size_mb) {
  if (mkdir(dir.c_str(), 0755) != 0 && errno != EEXIST)
    return make_runtime_error(runtime_errc::store_failed,
                              "cannot create " + dir + ": " + std::strerror(errno));
  std::shared_ptr<lmdb_store> st{new lmdb_store};
  st->mode_ = mode;
  int rc = mdb_env_create(&st->env_);
  if (rc != 0)
    return lmdb_error("mdb_env_create", rc);
  mdb_env_set_maxdbs(st->env_, table_count);
  mdb_env_set_mapsize(st->env_, map_size_mb * 1024 * 1024);
  mdb_env_set_maxreaders(st->env_, 512);
  unsigned flags = MDB_NOTLS;
  if (mode == durability::nosync)
    flags |= MDB_NOSYNC;
  rc = mdb_env_open(st->env_, dir.c_str(), flags, 0644);
  if (rc != 0)
    return lmdb_error(("mdb_env_open " + dir).c_str(), rc);
  txn_guard g;
  rc = mdb_txn_begin(st->env_, nullptr, 0, &g.txn);
  if (rc != 0)
    return lmdb_error("mdb_txn_begin", rc);
  for (size_t i = 0; i < table_count; ++i) {
    rc = mdb_dbi_open(g.txn, table_names[i], MDB_CREATE, &st->dbis_[i]);
    if (rc != 0)
      return lmdb_error("mdb_dbi_open", rc);
  }
  rc = mdb_txn_commit(g.txn);
  g.txn = nullptr;
  if (rc != 0)
    return lmdb_error("mdb_txn_commit", rc);
  return st;
}

lmdb_store::~lmdb_store() {
  if (env_) {
    if (mode_ == durability::nosync)
      mdb_env_sync(env_, 1);  // a clean close is durable in every mode
    mdb_env_close(env_);
  }
}

caf::error lmdb_store::write(const std::vector<mutation>& batch) {
  txn_guard g;
  int rc = mdb_txn_begin(env_, nullptr, 0, &g.txn);
  if (rc != 0)
    return lmdb_error("mdb_txn_begin", rc);
  for (auto& m : batch) {
    auto dbi = dbis_[static_cast<size_t>(m.tbl)];
    auto key = as_val(m.key);
    if (m.erase) {
      rc = mdb_del(g.txn, dbi, &key, nullptr);
      if (rc == MDB_NOTFOUND)
        rc = 0;
    } else {
      auto val = as_val(m.value);
      rc = mdb_put(g.txn, dbi, &key, &val, 0);
    }
    if (rc != 0)
      return lmdb_error("mdb_put", rc);
  }
  rc = mdb_txn_commit(g.txn);
  g.txn = nullptr;
  if (rc != 0)
    return lmdb_error("mdb_txn_commit", rc);
  return {};
}

caf::expected<std::optional<std::string>> lmdb_store::get(table t, std::string_view key) {
  txn_guard g;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &g.txn);
  if (rc != 0)
    return lmdb_error("mdb_txn_begin(read)", rc);
  auto k = as_val(key);
  MDB_val v;
  rc = mdb_get(g.txn, dbis_[static_cast<size_t>(t)], &k, &v);
  if (rc == MDB_NOTFOUND)
    return std::optional<std::string>{};
  if (rc != 0)
    return lmdb_error("mdb_get", rc);
  return std::optional<std::string>{std::string{as_view(v)}};
}

caf::error lmdb_store::scan(table t, std::string_view from, const visitor& f) {
  txn_guard g;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &g.txn);
  if (rc != 0)
    return lmdb_error("mdb_txn_begin(read)", rc);
  MDB_cursor* cur = nullptr;
  rc = mdb_cursor_open(g.txn, dbis_[static_cast<size_t>(t)], &cur);
  if (rc != 0)
    return lmdb_error("mdb_cursor_open", rc);
  MDB_val k = as_val(from), v;
  rc = from.empty() ? mdb_cursor_get(cur, &k, &v, MDB_FIRST)
                    : mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
  while (rc == 0) {
    if (!f(as_view(k), as_view(v)))
      break;
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return lmdb_error("mdb_cursor_get", rc);
  return {};
}

caf::expected<std::optional<std::string>> lmdb_store::last_key(table t,
                                                                std::string_view prefix) {
  // Position at the first key past the prefix range, then step back once.
  std::string upper{prefix};
  while (!upper.empty() && static_cast<unsigned char>(upper.back()) == 0xff)
    upper.pop_back();
  std::optional<std::string> out;
  txn_guard g;
  int rc = mdb_txn_begin(env_, nullptr, MDB_RDONLY, &g.txn);
  if (rc != 0)
    return lmdb_error("mdb_txn_begin(read)", rc);
  MDB_cursor* cur = nullptr;
  rc = mdb_cursor_open(g.txn, dbis_[static_cast<size_t>(t)], &cur);
  if (rc != 0)
    return lmdb_error("mdb_cursor_open", rc);
  MDB_val k, v;
  if (upper.empty()) {
    rc = mdb_cursor_get(cur, &k, &v, MDB_LAST);
  } else {
    upper.back() = static_cast<char>(static_cast<unsigned char>(upper.back()) + 1);
    k = as_val(upper);
    rc = mdb_cursor_get(cur, &k, &v, MDB_SET_RANGE);
    rc = rc == 0 ? mdb_cursor_get(cur, &k, &v, MDB_PREV)
                 : mdb_cursor_get(cur, &k, &v, MDB_LAST);
  }
  if (rc == 0 && as_view(k).substr(0, prefix.size()) == prefix)
    out = std::string{as_view(k)};
  mdb_cursor_close(cur);
  if (rc != 0 && rc != MDB_NOTFOUND)
    return lmdb_error("mdb_cursor_get", rc);
  return out;
}

} // namespace sagaforge
