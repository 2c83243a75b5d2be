// The data folder: path checks, the exclusive lock, the identity file.
#include "runtime/data_folder.hpp"

#include <fcntl.h>
#include <sys/file.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdio>
#include <cstring>
#include <sstream>

#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

caf::error folder_error(const std::string& what) {
  return make_runtime_error(runtime_errc::store_failed, what);
}

std::string errno_text(int e) {
  return std::strerror(e);
}

std::string parent_of(const std::string& dir) {
  auto end = dir.find_last_not_of('/');
  if (end == std::string::npos)
    return "/";
  auto slash = dir.rfind('/', end);
  if (slash == std::string::npos)
    return ".";
  return slash == 0 ? "/" : dir.substr(0, slash);
}

/// Reads the whole (small) file; none when it does not exist.
caf::expected<std::optional<std::string>> read_small_file(const std::string& path) {
  int fd = ::open(path.c_str(), O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT)
      return std::optional<std::string>{};
    return folder_error("cannot read " + path + ": " + errno_text(errno));
  }
  std::string out;
  char buf[4096];
  for (;;) {
    auto n = ::read(fd, buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    out.append(buf, static_cast<size_t>(n));
    if (out.size() > 65536)
      break;
  }
  ::close(fd);
  return std::optional<std::string>{std::move(out)};
}

caf::error write_all(int fd, const std::string& text, const std::string& path) {
  size_t done = 0;
  while (done < text.size()) {
    auto n = ::write(fd, text.data() + done, text.size() - done);
    if (n < 0 && errno == EINTR)
      continue;
    if (n < 0)
      return folder_error("cannot write " + path + ": " + errno_text(errno));
    done += static_cast<size_t>(n);
  }
  return {};
}

} // namespace

caf::error prepare_data_folder(const std::string& dir) {
  if (dir.empty())
    return folder_error("store.data-dir is empty: name the node's data folder");
  struct stat st {};
  if (::stat(dir.c_str(), &st) != 0) {
    if (errno != ENOENT)
      return folder_error("data folder " + dir + ": " + errno_text(errno));
    auto parent = parent_of(dir);
    struct stat pst {};
    if (::stat(parent.c_str(), &pst) != 0 || !S_ISDIR(pst.st_mode))
      return folder_error("data folder " + dir + " cannot be created: its parent " + parent
                          + " does not exist or is not a folder (create it first)");
    if (::mkdir(dir.c_str(), 0755) != 0)
      return folder_error("data folder " + dir + " cannot be created: " + errno_text(errno));
    return {};
  }
  if (!S_ISDIR(st.st_mode))
    return folder_error("data folder " + dir + " is not a folder ("
                        + (S_ISREG(st.st_mode)   ? std::string{"a regular file"}
                           : S_ISCHR(st.st_mode) ? std::string{"a character device"}
                           : S_ISBLK(st.st_mode) ? std::string{"a block device"}
                                                 : std::string{"not a directory"})
                        + "): point store.data-dir at a folder");
  struct statvfs vfs {};
  if (::statvfs(dir.c_str(), &vfs) == 0 && (vfs.f_flag & ST_RDONLY))
    return folder_error("data folder " + dir + " is on a read-only file system");
  if (::access(dir.c_str(), W_OK | X_OK) != 0)
    return folder_error("data folder " + dir + " is not writable by this user: "
                        + errno_text(errno));
  return {};
}

caf::expected<std::unique_ptr<data_folder_lock>> data_folder_lock::acquire(const std::string& dir) {
  auto path = dir + "/sagaforge.lock";
  int fd = ::open(path.c_str(), O_RDWR | O_CREAT | O_CLOEXEC, 0644);
  if (fd < 0)
    return folder_error("cannot open the lock file " + path + ": " + errno_text(errno));
  if (::flock(fd, LOCK_EX | LOCK_NB) != 0) {
    auto e = errno;
    std::string holder = "unknown pid";
    char buf[32] = {};
    if (::pread(fd, buf, sizeof buf - 1, 0) > 0)
      holder = "pid " + std::string{buf}.substr(0, std::string{buf}.find('\n'));
    ::close(fd);
    if (e == EWOULDBLOCK)
      return folder_error("data folder " + dir + " is in use by another process (" + holder
                          + "): one node per data folder; stop it or pick another folder");
    return folder_error("cannot lock " + path + ": " + errno_text(e));
  }
  // The pid is for the message above; the lock itself is the flock.
  auto pid = std::to_string(::getpid()) + "\n";
  if (::ftruncate(fd, 0) != 0 || ::pwrite(fd, pid.data(), pid.size(), 0) < 0) {
    auto e = errno;
    ::close(fd);
    return folder_error("cannot write " + path + ": " + errno_text(e));
  }
  return std::unique_ptr<data_folder_lock>{new data_folder_lock{fd}};
}

data_folder_lock::~data_folder_lock() {
  ::close(fd_);  // drops the flock
}

store_identity make_store_identity(int64_t shard_count) {
  unsigned char raw[16] = {};
  size_t got = 0;
  while (got < sizeof raw) {
    auto n = ::getrandom(raw + got, sizeof raw - got, 0);
    if (n > 0)
      got += static_cast<size_t>(n);
  }
  char hex[33];
  for (size_t i = 0; i < 16; ++i)
    std::snprintf(hex + 2 * i, 3, "%02x", raw[i]);
  store_identity id;
  id.store_id = hex;
  id.created_ms = std::chrono::duration_cast<std::chrono::milliseconds>(
                    std::chrono::system_clock::now().time_since_epoch())
                    .count();
  id.shard_count = shard_count;
  return id;
}

caf::expected<std::optional<store_identity>> read_identity_file(const std::string& dir) {
  auto path = dir + "/" + identity_file_name;
  auto text = read_small_file(path);
  if (!text)
    return text.error();
  if (!*text)
    return std::optional<store_identity>{};
  store_identity id;
  std::istringstream in{**text};
  for (std::string line; std::getline(in, line);) {
    auto eq = line.find('=');
    if (line.empty() || line[0] == '#' || eq == std::string::npos)
      continue;
    auto key = line.substr(0, eq);
    auto value = line.substr(eq + 1);
    try {
      if (key == "store_id")
        id.store_id = value;
      else if (key == "created_ms")
        id.created_ms = std::stoll(value);
      else if (key == "shard_count")
        id.shard_count = std::stoll(value);
    } catch (const std::exception&) {
      id.store_id.clear();
      break;
    }
  }
  if (id.store_id.size() != 32 || id.shard_count <= 0)
    return make_runtime_error(runtime_errc::store_damaged,
                              path + " is unreadable: the folder's identity is damaged; "
                                     "restore the folder from backup");
  return std::optional<store_identity>{std::move(id)};
}

caf::error write_identity_file(const std::string& dir, const store_identity& id) {
  auto path = dir + "/" + identity_file_name;
  auto tmp = path + ".tmp";
  std::string text = "# sagaforge store identity: do not edit; its loss is how a node tells an\n"
                     "# emptied store from a new one (docs/operations.md)\n"
                     "store_id=" + id.store_id + "\ncreated_ms=" + std::to_string(id.created_ms)
                     + "\nshard_count=" + std::to_string(id.shard_count) + "\n";
  int fd = ::open(tmp.c_str(), O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0)
    return folder_error("cannot write " + tmp + ": " + errno_text(errno));
  auto err = write_all(fd, text, tmp);
  if (!err && ::fsync(fd) != 0)
    err = folder_error("cannot sync " + tmp + ": " + errno_text(errno));
  ::close(fd);
  if (err)
    return err;
  if (::rename(tmp.c_str(), path.c_str()) != 0)
    return folder_error("cannot rename " + tmp + ": " + errno_text(errno));
  int dfd = ::open(dir.c_str(), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd >= 0) {
    ::fsync(dfd);  // the rename itself must survive a power loss
    ::close(dfd);
  }
  return {};
}

caf::error check_store_file_present(const std::string& dir) {
  auto id = read_identity_file(dir);
  if (!id)
    return id.error();
  if (!*id)
    return {};
  auto path = dir + "/data.mdb";
  struct stat st {};
  bool missing = ::stat(path.c_str(), &st) != 0;
  if (missing || st.st_size == 0)
    return make_runtime_error(
      runtime_errc::store_damaged,
      path + (missing ? " is missing" : " is empty") + ", but " + dir + "/" + identity_file_name
        + " says this folder held store " + (*id)->store_id
        + ": the store was lost; restore the folder from backup (to start an empty store on "
          "purpose, remove "
        + identity_file_name + " too)");
  return {};
}

} // namespace sagaforge
