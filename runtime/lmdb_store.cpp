// LMDB store implementation.
#include "runtime/lmdb_store.hpp"
#include "runtime/failpoint.hpp"

#include <sys/stat.h>
#include <sys/statvfs.h>

#include <cerrno>
#include <cstring>

#include "runtime/data_folder.hpp"
#include "runtime/errors.hpp"
#include "runtime/store_check.hpp"

namespace sagaforge {

namespace {

const char* table_names[table_count] = {"log", "snapshots", "dead_letters", "meta"};

caf::error lmdb_error(const char* what, int rc) {
  auto code = rc == MDB_CORRUPTED || rc == MDB_PAGE_NOTFOUND || rc == MDB_PANIC
                ? runtime_errc::store_damaged
                : runtime_errc::store_failed;
  return make_runtime_error(code, std::string{what} + ": " + mdb_strerror(rc));
}

/// A failed write, said for an operator. LMDB reports a full disk as EIO ("short write")
/// when pwrite wrote part of a page, so EIO with (almost) no free space is a full disk too.
caf::error store_write_error(const std::string& dir, size_t map_size_mb, const char* what,
                             int rc) {
  if (rc == MDB_MAP_FULL)
    return make_runtime_error(runtime_errc::store_failed,
                              "the store in " + dir + " is full: it reached store.map-size-mb="
                                + std::to_string(map_size_mb)
                                + " MiB; raise that option and restart");
  struct statvfs vfs {};
  bool have_vfs = (rc == ENOSPC || rc == EIO) && ::statvfs(dir.c_str(), &vfs) == 0;
  if (rc == ENOSPC
      || (rc == EIO && have_vfs
          && static_cast<uint64_t>(vfs.f_bavail) * vfs.f_frsize < (uint64_t{16} << 20)))
    return make_runtime_error(runtime_errc::no_space,
                              "no space left on device: the file system of " + dir + " has "
                                + std::to_string(static_cast<uint64_t>(vfs.f_bavail)
                                                 * vfs.f_frsize)
                                + " bytes free (" + what + ")");
  return lmdb_error(what, rc);
}

/// Why mdb_env_open failed, said for an operator: the path, the cause, what to do.
caf::error open_error(const std::string& dir, size_t map_size_mb, int rc) {
  auto where = "cannot open the store in " + dir + ": ";
  auto failed = [&](std::string what) {
    return make_runtime_error(runtime_errc::store_failed, where + std::move(what));
  };
  switch (rc) {
    case MDB_INVALID:
    case MDB_CORRUPTED:
    case MDB_PANIC:
      return make_runtime_error(runtime_errc::store_damaged,
                                dir + "/data.mdb is damaged (" + mdb_strerror(rc)
                                  + ": its header pages are unreadable): store damaged, restore "
                                    "the folder from backup");
    case MDB_VERSION_MISMATCH:
      return failed("data.mdb was written by an incompatible LMDB version");
    case ENOMEM:
    case EINVAL:
      return failed("cannot map store.map-size-mb=" + std::to_string(map_size_mb)
                    + " MiB into memory (" + std::strerror(rc)
                    + "): the address space (ulimit -v) does not hold it; lower the option");
    case EROFS:
      return failed("the file system is read-only");
    case EACCES:
    case EPERM:
      return failed(std::string{std::strerror(rc)}
                    + ": data.mdb or lock.mdb is not writable by this user, or is immutable "
                      "(lsattr)");
    case EISDIR:
      return failed("data.mdb or lock.mdb is a folder, not a file");
    case ENOSPC:
      return failed("no space left on device");
    default:
      return failed(mdb_strerror(rc));
  }
}

/// A data.mdb shorter than the pages its meta page names would fault (SIGBUS) at the first
/// read past its end: check the size before any page is touched.
caf::error check_file_covers_pages(MDB_env* env, const std::string& dir) {
  MDB_envinfo info{};
  MDB_stat st{};
  mdb_filehandle_t fd = -1;
  if (mdb_env_info(env, &info) != 0 || mdb_env_stat(env, &st) != 0
      || mdb_env_get_fd(env, &fd) != 0)
    return {};
  struct stat fs {};
  if (::fstat(fd, &fs) != 0)
    return {};
  auto needed = (static_cast<uint64_t>(info.me_last_pgno) + 1) * st.ms_psize;
  if (static_cast<uint64_t>(fs.st_size) < needed)
    return make_runtime_error(runtime_errc::store_damaged,
                              dir + "/data.mdb is truncated: " + std::to_string(fs.st_size)
                                + " bytes, but its last page ends at byte "
                                + std::to_string(needed)
                                + ": store damaged, restore the folder from backup");
  return {};
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
lmdb_store::open(const std::string& dir, durability mode, size_t map_size_mb, bool verify_pages) {
  if (auto err = prepare_data_folder(dir))
    return err;
  auto lock = data_folder_lock::acquire(dir);
  if (!lock)
    return lock.error();
  if (auto err = check_store_file_present(dir))
    return err;
  std::shared_ptr<lmdb_store> st{new lmdb_store};
  st->lock_ = std::move(*lock);
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
    return open_error(dir, map_size_mb, rc);
  if (auto err = check_file_covers_pages(st->env_, dir))
    return err;
  if (verify_pages)
    if (auto err = verify_store_pages(dir, map_size_mb))
      return err;
  txn_guard g;
  rc = mdb_txn_begin(st->env_, nullptr, 0, &g.txn);
  if (rc != 0)
    return store_write_error(dir, map_size_mb, "mdb_txn_begin", rc);
  for (size_t i = 0; i < table_count; ++i) {
    rc = mdb_dbi_open(g.txn, table_names[i], MDB_CREATE, &st->dbis_[i]);
    if (rc != 0)
      return store_write_error(dir, map_size_mb, "mdb_dbi_open", rc);
  }
  rc = mdb_txn_commit(g.txn);
  g.txn = nullptr;
  if (rc != 0)
    return store_write_error(dir, map_size_mb, "mdb_txn_commit", rc);
  st->dir_ = dir;
  st->map_size_mb_ = map_size_mb;
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
    return store_write_error(dir_, map_size_mb_, "mdb_txn_begin", rc);
  for (size_t i = 0; i < batch.size(); ++i) {
    auto& m = batch[i];
    if (i == batch.size() / 2)  // half the batch written into the open transaction
      SAGAFORGE_FAILPOINT(failpoint::store_inside_write);
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
      return store_write_error(dir_, map_size_mb_, "mdb_put", rc);
  }
  rc = mdb_txn_commit(g.txn);
  g.txn = nullptr;
  if (rc != 0)
    return store_write_error(dir_, map_size_mb_, "mdb_txn_commit", rc);
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
