// powerloss_shim: an LD_PRELOAD library that makes a later "power loss" possible for LMDB's
// data file. With SAGAFORGE_POWERLOSS_LOG=PATH, every write to a file named data.mdb that is not
// yet durable is preceded by an undo record in PATH (the bytes it overwrites); an fsync or
// fdatasync of the file makes everything before it durable and empties PATH; a write through a
// descriptor opened with O_DSYNC/O_SYNC (LMDB's meta page in fsync mode) is durable at once and
// is logged as a redo record instead. After the process is SIGKILLed, powerloss_undo.hpp rolls
// the file back to exactly what a power cut would have left: the content at the last sync plus
// the synchronous writes since. The kernel is not involved: the test's process survives, so
// the log (written, never synced) is complete up to the kill.
//
// Intercepted: open, close, pwrite, write, writev, fsync, fdatasync — the calls liblmdb makes
// (nm -D liblmdb.so.0); LMDB without MDB_WRITEMAP never writes its data file through the map.
// Record: magic u32 | kind u32 ('U' undo, 'R' redo) | offset u64 | length u64 | file size
// before u64 | bytes (undo: the old bytes inside the old size; redo: the new bytes).
#include <dlfcn.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdarg.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <vector>

namespace {

constexpr uint32_t record_magic = 0x504c4f47;  // "PLOG"
constexpr int max_fd = 4096;

struct tracked {
  bool on = false;
  bool sync_writes = false;  // opened with O_DSYNC or O_SYNC
};

tracked fds[max_fd];
pthread_mutex_t mtx = PTHREAD_MUTEX_INITIALIZER;
int log_fd = -1;

template <class F>
F real(const char* name) {
  return reinterpret_cast<F>(dlsym(RTLD_NEXT, name));
}

using open_fn = int (*)(const char*, int, ...);
using close_fn = int (*)(int);
using pwrite_fn = ssize_t (*)(int, const void*, size_t, off_t);
using write_fn = ssize_t (*)(int, const void*, size_t);
using writev_fn = ssize_t (*)(int, const struct iovec*, int);
using sync_fn = int (*)(int);

const char* log_path() {
  static const char* p = std::getenv("SAGAFORGE_POWERLOSS_LOG");
  return p != nullptr && *p != '\0' ? p : nullptr;
}

bool is_data_file(const char* path) {
  auto n = std::strlen(path);
  return n >= 8 && std::strcmp(path + n - 8, "data.mdb") == 0
         && (n == 8 || path[n - 9] == '/');
}

bool is_tracked(int fd) {
  return fd >= 0 && fd < max_fd && fds[fd].on;
}

[[noreturn]] void die(const char* what) {
  static const char prefix[] = "powerloss_shim: ";
  auto w = real<write_fn>("write");
  w(2, prefix, sizeof prefix - 1);
  w(2, what, std::strlen(what));
  w(2, "\n", 1);
  std::abort();
}

void append_log(const std::vector<char>& rec) {
  if (log_fd < 0) {
    log_fd = real<open_fn>("open")(log_path(), O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0644);
    if (log_fd < 0)
      die("cannot open SAGAFORGE_POWERLOSS_LOG");
  }
  // One write(2) per record: a kill leaves at most the last record cut short, and its data
  // write had not started (the record goes first).
  if (real<write_fn>("write")(log_fd, rec.data(), rec.size()) != static_cast<ssize_t>(rec.size()))
    die("short write to SAGAFORGE_POWERLOSS_LOG");
}

void put_u64(std::vector<char>& out, uint64_t v) {
  char b[8];
  std::memcpy(b, &v, 8);
  out.insert(out.end(), b, b + 8);
}

/// Logs what a write of `len` bytes at `off` (new bytes from `iov`) needs for the roll-back.
void log_write(int fd, off_t off, const struct iovec* iov, int iovcnt) {
  size_t len = 0;
  for (int i = 0; i < iovcnt; ++i)
    len += iov[i].iov_len;
  struct stat st {};
  if (::fstat(fd, &st) != 0)
    die("fstat failed");
  auto size = static_cast<uint64_t>(st.st_size);
  std::vector<char> rec;
  uint32_t head[2] = {record_magic, fds[fd].sync_writes ? uint32_t{'R'} : uint32_t{'U'}};
  rec.insert(rec.end(), reinterpret_cast<char*>(head), reinterpret_cast<char*>(head) + 8);
  put_u64(rec, static_cast<uint64_t>(off));
  put_u64(rec, len);
  put_u64(rec, size);
  if (fds[fd].sync_writes) {
    for (int i = 0; i < iovcnt; ++i)
      rec.insert(rec.end(), static_cast<const char*>(iov[i].iov_base),
                 static_cast<const char*>(iov[i].iov_base) + iov[i].iov_len);
  } else {
    auto start = static_cast<uint64_t>(off);
    size_t old = start >= size ? 0 : static_cast<size_t>(std::min<uint64_t>(len, size - start));
    auto at = rec.size();
    rec.resize(at + old);
    if (old > 0 && ::pread(fd, rec.data() + at, old, off) != static_cast<ssize_t>(old))
      die("pread of the bytes a write overwrites failed");
  }
  append_log(rec);
}

void made_durable(int fd) {
  if (!is_tracked(fd) || log_fd < 0)
    return;
  if (::ftruncate(log_fd, 0) != 0)
    die("cannot empty SAGAFORGE_POWERLOSS_LOG");
}

struct lock {
  lock() { pthread_mutex_lock(&mtx); }
  ~lock() { pthread_mutex_unlock(&mtx); }
};

} // namespace

extern "C" {

int open(const char* path, int flags, ...) {
  mode_t mode = 0;
  if ((flags & O_CREAT) != 0 || (flags & O_TMPFILE) == O_TMPFILE) {
    va_list ap;
    va_start(ap, flags);
    mode = static_cast<mode_t>(va_arg(ap, int));
    va_end(ap);
  }
  int fd = real<open_fn>("open")(path, flags, mode);
  if (fd >= 0 && log_path() != nullptr && is_data_file(path)) {
    if (fd >= max_fd)
      die("descriptor beyond the shim's table");
    lock g;
    fds[fd].on = true;
    fds[fd].sync_writes = (flags & (O_DSYNC | O_SYNC)) != 0;
  }
  return fd;
}

int close(int fd) {
  if (is_tracked(fd)) {
    lock g;
    fds[fd] = tracked{};
  }
  return real<close_fn>("close")(fd);
}

ssize_t pwrite(int fd, const void* buf, size_t n, off_t off) {
  if (is_tracked(fd)) {
    lock g;
    struct iovec v {const_cast<void*>(buf), n};
    log_write(fd, off, &v, 1);
    return real<pwrite_fn>("pwrite")(fd, buf, n, off);
  }
  return real<pwrite_fn>("pwrite")(fd, buf, n, off);
}

ssize_t write(int fd, const void* buf, size_t n) {
  if (is_tracked(fd)) {
    lock g;
    struct iovec v {const_cast<void*>(buf), n};
    log_write(fd, ::lseek(fd, 0, SEEK_CUR), &v, 1);
    return real<write_fn>("write")(fd, buf, n);
  }
  return real<write_fn>("write")(fd, buf, n);
}

ssize_t writev(int fd, const struct iovec* iov, int iovcnt) {
  if (is_tracked(fd)) {
    lock g;
    log_write(fd, ::lseek(fd, 0, SEEK_CUR), iov, iovcnt);
    return real<writev_fn>("writev")(fd, iov, iovcnt);
  }
  return real<writev_fn>("writev")(fd, iov, iovcnt);
}

int fsync(int fd) {
  int rc = real<sync_fn>("fsync")(fd);
  if (rc == 0) {
    lock g;
    made_durable(fd);
  }
  return rc;
}

int fdatasync(int fd) {
  int rc = real<sync_fn>("fdatasync")(fd);
  if (rc == 0) {
    lock g;
    made_durable(fd);
  }
  return rc;
}

} // extern "C"
