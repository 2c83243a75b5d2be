// Store page check in a child process (see store_check.hpp).
#include "runtime/store_check.hpp"

#include <fcntl.h>
#include <lmdb.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <string>

#include "runtime/errors.hpp"

namespace sagaforge {

namespace {

int verdict_fd = -1;

/// In the child only: say why, and end without running any of the parent's exit handlers.
[[noreturn]] void child_fail(const std::string& why) {
  auto n = ::write(verdict_fd, why.data(), why.size());
  (void) n;
  ::_exit(3);
}

void on_lmdb_assert(MDB_env*, const char* msg) {
  child_fail(std::string{"LMDB assertion: "} + msg);
}

/// Reads every page a value occupies (overflow values span several).
unsigned touch(const MDB_val& v) {
  auto* p = static_cast<const unsigned char*>(v.mv_data);
  unsigned sum = 0;
  for (size_t i = 0; i < v.mv_size; i += 4096)
    sum += p[i];
  if (v.mv_size > 0)
    sum += p[v.mv_size - 1];
  return sum;
}

void walk_database(MDB_txn* txn, MDB_dbi dbi, const std::string& name) {
  MDB_cursor* cur = nullptr;
  if (int rc = mdb_cursor_open(txn, dbi, &cur); rc != 0)
    child_fail("database " + name + ": " + mdb_strerror(rc));
  MDB_val k, v;
  volatile unsigned sink = 0;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  while (rc == 0) {
    sink = sink + touch(k) + touch(v);
    rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT);
  }
  if (rc != MDB_NOTFOUND)
    child_fail("database " + name + ": " + mdb_strerror(rc));
  mdb_cursor_close(cur);
}

[[noreturn]] void child_walk(const std::string& dir, size_t map_size_mb) {
  MDB_env* env = nullptr;
  if (int rc = mdb_env_create(&env); rc != 0)
    child_fail(mdb_strerror(rc));
  mdb_env_set_assert(env, on_lmdb_assert);
  mdb_env_set_maxdbs(env, 64);
  mdb_env_set_mapsize(env, map_size_mb * 1024 * 1024);
  if (int rc = mdb_env_open(env, dir.c_str(), MDB_RDONLY | MDB_NOLOCK | MDB_NOTLS, 0644); rc != 0)
    child_fail(std::string{"open: "} + mdb_strerror(rc));
  MDB_txn* txn = nullptr;
  if (int rc = mdb_txn_begin(env, nullptr, MDB_RDONLY, &txn); rc != 0)
    child_fail(std::string{"read transaction: "} + mdb_strerror(rc));
  MDB_dbi main_dbi;
  if (int rc = mdb_dbi_open(txn, nullptr, 0, &main_dbi); rc != 0)
    child_fail(std::string{"main database: "} + mdb_strerror(rc));
  // The main database's keys name the others.
  MDB_cursor* cur = nullptr;
  if (int rc = mdb_cursor_open(txn, main_dbi, &cur); rc != 0)
    child_fail(std::string{"main database: "} + mdb_strerror(rc));
  MDB_val k, v;
  int rc = mdb_cursor_get(cur, &k, &v, MDB_FIRST);
  for (; rc == 0; rc = mdb_cursor_get(cur, &k, &v, MDB_NEXT)) {
    std::string name{static_cast<const char*>(k.mv_data), k.mv_size};
    MDB_dbi dbi;
    if (int orc = mdb_dbi_open(txn, name.c_str(), 0, &dbi); orc != 0)
      child_fail("database " + name + ": " + mdb_strerror(orc));
    walk_database(txn, dbi, name);
  }
  // Only the end of the tree ends the walk: a damaged main tree (its root zeroed, say) must
  // not read as "no tables".
  if (rc != MDB_NOTFOUND)
    child_fail(std::string{"main database: "} + mdb_strerror(rc));
  mdb_cursor_close(cur);
  mdb_txn_abort(txn);
  mdb_env_close(env);
  ::_exit(0);
}

std::string signal_name(int sig) {
  switch (sig) {
    case SIGBUS: return "SIGBUS (a page past the end of the file)";
    case SIGSEGV: return "SIGSEGV";
    case SIGABRT: return "SIGABRT (an LMDB assertion)";
    default: return "signal " + std::to_string(sig);
  }
}

} // namespace

caf::error verify_store_pages(const std::string& dir, size_t map_size_mb) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    return make_runtime_error(runtime_errc::store_failed,
                              std::string{"store check: pipe: "} + std::strerror(errno));
  auto pid = ::fork();
  if (pid < 0) {
    ::close(fds[0]);
    ::close(fds[1]);
    return make_runtime_error(runtime_errc::store_failed,
                              std::string{"store check: fork: "} + std::strerror(errno));
  }
  if (pid == 0) {
    ::close(fds[0]);
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    verdict_fd = fds[1];
    ::signal(SIGPIPE, SIG_IGN);
    child_walk(dir, map_size_mb);
  }
  ::close(fds[1]);
  std::string verdict;
  char buf[1024];
  for (;;) {
    auto n = ::read(fds[0], buf, sizeof buf);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    if (verdict.size() < 4096)
      verdict.append(buf, static_cast<size_t>(n));
  }
  ::close(fds[0]);
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0 && errno == EINTR) {
  }
  if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
    return {};
  std::string cause = WIFSIGNALED(status) ? "reading its pages died of " + signal_name(WTERMSIG(status))
                                          : verdict.empty() ? "the page check failed" : verdict;
  return make_runtime_error(runtime_errc::store_damaged,
                            "store damaged: " + dir + "/data.mdb: " + cause
                              + "; restore the folder from backup");
}

} // namespace sagaforge
