// node_process: the real sagaforge-node binary as the multi-process suites drive it
// (process.hardening, process.killloop): its arguments for a temporary data folder, one run to
// its end (or a deadline) with stdout and stderr as timestamped lines, and temporary folders and
// tmpfs mounts that are removed however a test ends. Test-process code, no actors.
#pragma once

#include <sys/mount.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <fstream>
#include <initializer_list>
#include <stdexcept>
#include <string>
#include <vector>

#include "tests/process/child_process.hpp"

#ifndef SAGAFORGE_NODE
#error "SAGAFORGE_NODE must name the sagaforge-node executable"
#endif

/// CAF_CHECK that says what went wrong (CAF 0.17 has no CAF_CHECK_MESSAGE). Not fatal, unlike
/// CAF_REQUIRE and CAF_FAIL, which abort() the runner: no destructor would remove a temporary
/// folder or unmount a tmpfs.
#define SAGAFORGE_CHECK_MSG(cond, msg)                                                           \
  do {                                                                                           \
    bool sagaforge_ok_ = static_cast<bool>(cond);                                                \
    CAF_CHECK(sagaforge_ok_);                                                                    \
    if (!sagaforge_ok_)                                                                          \
      CAF_TEST_PRINT_ERROR(msg);                                                                 \
  } while (false)

namespace sagaforge::testing {

using node_clock = std::chrono::steady_clock;

inline std::string temp_base() {
  auto* t = std::getenv("TMPDIR");
  return t && *t ? t : "/tmp";
}

/// A fresh folder under $TMPDIR (or /tmp), removed with everything in it.
class temp_folder {
public:
  explicit temp_folder(const std::string& tag) {
    auto tmpl = temp_base() + "/sagaforge-" + tag + "-XXXXXX";
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr)
      throw std::runtime_error("mkdtemp " + tmpl + ": " + std::strerror(errno));
    path_ = buf.data();
  }

  ~temp_folder() {
    std::error_code ec;
    if (!keep_)
      std::filesystem::remove_all(path_, ec);
  }

  /// Leaves the folder in place (for inspection after a failure).
  void keep() { keep_ = true; }

  temp_folder(const temp_folder&) = delete;
  temp_folder& operator=(const temp_folder&) = delete;

  const std::string& path() const { return path_; }

  std::string operator/(const std::string& name) const { return path_ + "/" + name; }

private:
  std::string path_;
  bool keep_ = false;
};

/// A tmpfs of `size` ("6m") mounted on a fresh folder, unmounted in the destructor (lazily:
/// a node that still holds a file there cannot keep the mount alive) and removed. Mounting
/// needs CAP_SYS_ADMIN; without it `mounted()` is false and `error()` says why, so the caller
/// can skip its case with that reason instead of failing or passing silently.
class tmpfs_mount {
public:
  explicit tmpfs_mount(const std::string& size) : where_("tmpfs") {
    opts_ = "size=" + size + ",mode=0755";
    if (::mount("tmpfs", where_.path().c_str(), "tmpfs", 0, opts_.c_str()) == 0)
      mounted_ = true;
    else
      error_ = "mount -t tmpfs -o " + opts_ + " " + where_.path() + ": " + std::strerror(errno);
  }

  ~tmpfs_mount() {
    if (mounted_)
      ::umount2(where_.path().c_str(), MNT_DETACH);
  }

  tmpfs_mount(const tmpfs_mount&) = delete;
  tmpfs_mount& operator=(const tmpfs_mount&) = delete;

  bool mounted() const { return mounted_; }
  const std::string& error() const { return error_; }
  const std::string& path() const { return where_.path(); }

  /// mount -o remount,ro; false (and error()) when the kernel refuses.
  bool remount_read_only() {
    if (::mount("tmpfs", where_.path().c_str(), "tmpfs", MS_REMOUNT | MS_RDONLY, opts_.c_str())
        == 0)
      return true;
    error_ = "mount -o remount,ro " + where_.path() + ": " + std::strerror(errno);
    return false;
  }

private:
  temp_folder where_;
  std::string opts_;
  bool mounted_ = false;
  std::string error_;
};

/// What one node run printed and how it ended.
struct node_run {
  int status = 0;
  bool timed_out = false;  // killed at the deadline
  double seconds = 0;      // start to end
  std::vector<std::string> lines;  // stdout and stderr, in arrival order
  std::vector<double> at;          // when each line arrived, seconds after the start

  bool exited_with(int code) const {
    return !timed_out && WIFEXITED(status) && WEXITSTATUS(status) == code;
  }

  std::string how() const {
    return (timed_out ? "killed at the deadline, " : "") + child_process::describe_status(status);
  }

  /// The index of the first line holding every fragment, or -1.
  long find(std::initializer_list<std::string> fragments) const {
    for (size_t i = 0; i < lines.size(); ++i) {
      bool all = true;
      for (auto& f : fragments)
        all = all && lines[i].find(f) != std::string::npos;
      if (all)
        return static_cast<long>(i);
    }
    return -1;
  }

  bool has(std::initializer_list<std::string> fragments) const { return find(fragments) >= 0; }

  /// The last `n` lines, for a failure message.
  std::string tail(size_t n = 12) const {
    std::string out;
    for (size_t i = lines.size() > n ? lines.size() - n : 0; i < lines.size(); ++i)
      out += "\n    | " + lines[i];
    return out.empty() ? std::string{" (no output)"} : out;
  }
};

/// Arguments of a node on `dir`: HTTP on any free port (the default 127.0.0.1:9470 would
/// collide with a running node or another suite), 8 shards, fsync durability, plus `extra`.
inline std::vector<std::string> node_args(const std::string& dir,
                                          std::vector<std::string> extra = {}) {
  std::vector<std::string> args{SAGAFORGE_NODE, "--sagaforge.store.data-dir=" + dir,
                                "--sagaforge.http.port=0", "--sagaforge.store.shard-count=8"};
  args.insert(args.end(), extra.begin(), extra.end());
  return args;
}

/// Demo sizes for a run of a few seconds that still touches every workload.
inline std::vector<std::string> small_demo() {
  return {"--node.demo",           "--node.demo-entities=20", "--node.demo-commands=400",
          "--node.demo-orders=20", "--node.demo-redemptions=10", "--node.demo-timeout-s=60"};
}

/// Reads a started child to its end; SIGKILLs it at `deadline` (then timed_out).
inline node_run finish_node(child_process& child, node_clock::time_point t0,
                            std::chrono::milliseconds deadline, node_run out = {}) {
  using namespace std::chrono;
  while (!child.eof()) {
    child.read_lines(milliseconds{50}, out.lines);
    out.at.resize(out.lines.size(), duration<double>(node_clock::now() - t0).count());
    if (node_clock::now() - t0 > deadline) {
      out.timed_out = true;
      child.kill9();
      break;
    }
  }
  if (!child.partial().empty()) {
    out.lines.push_back(child.partial());
    out.at.push_back(duration<double>(node_clock::now() - t0).count());
  }
  out.status = child.wait();
  out.seconds = duration<double>(node_clock::now() - t0).count();
  return out;
}

/// Runs a node to its end (SIGKILLed at the deadline). The default suits a node that should
/// refuse to start: one that runs instead (the defect) fails its case in 30 s, not never.
inline node_run run_node(const std::vector<std::string>& argv,
                         std::chrono::milliseconds deadline = std::chrono::seconds{30}) {
  auto t0 = node_clock::now();
  child_process child{argv, true};
  return finish_node(child, t0, deadline);
}

/// Writes `text` to `path` (a config file of a test).
inline void write_file(const std::string& path, const std::string& text) {
  std::ofstream out{path, std::ios::binary | std::ios::trunc};
  out << text;
  if (!out)
    throw std::runtime_error("cannot write " + path);
}

} // namespace sagaforge::testing
