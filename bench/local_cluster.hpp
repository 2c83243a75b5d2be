// local_cluster: one cluster of real sagaforge-node processes on loopback, run through the
// project's own script (cluster/local up N | client ID ARGS... | down) in a temp folder of
// its own, on ports of its own. Whatever happens (an error, an exception, Ctrl-C), the
// destructor runs `cluster/local down` on that folder, which stops exactly the processes
// the script recorded (by pid), then removes the folder. Children run in their own process
// group, so a Ctrl-C at the terminal reaches only the benchmark, which then stops them in
// order instead of leaving the script half done.
#pragma once

#include <sys/types.h>

#include <cstdint>
#include <string>
#include <vector>

namespace sagaforge::bench {

/// SIGINT/SIGTERM set a flag instead of killing the benchmark (so it can stop its
/// clusters); blocking waits return early with EINTR.
void install_interrupt_handlers();
bool interrupted();

struct local_cluster_options {
  std::string script;        // cluster/local
  std::string node_bin;      // SAGAFORGE_NODE_BIN
  std::string node_args;     // SAGAFORGE_NODE_ARGS (every node, the client too)
  std::string cluster_name;  // SAGAFORGE_CLUSTER_NAME
  int members = 1;
  int64_t port_base = 0;     // SAGAFORGE_PORT_BASE: HTTP 9470+K+base, data plane 47400+K+base
  int64_t etcd_port = 0;     // SAGAFORGE_ETCD_PORT (and +1)
  int64_t shards = 64;       // SAGAFORGE_SHARDS
  bool keep_folder = false;
};

/// A client node started by `cluster/local client`: its stdout is a pipe read line by line
/// (line-buffered through stdbuf, so a line arrives when it is printed).
class client_process {
public:
  client_process(pid_t pid, int stdout_fd) : pid_(pid), fd_(stdout_fd) {}
  client_process(const client_process&) = delete;
  client_process& operator=(const client_process&) = delete;
  /// SIGTERM if still running, then reaped.
  ~client_process();

  /// Waits up to `timeout_ms` for a line: true with a line, false on timeout or at the end
  /// of the output (`eof` then set).
  bool read_line(std::string& line, int timeout_ms, bool& eof);
  /// Exit status (128+signal when killed); waits for the process.
  int wait();
  /// SIGTERM (and SIGCONT, should it be paused).
  void terminate();
  /// SIGSTOP / SIGCONT: held still for a moment, it cannot finish and leave the cluster
  /// (the members would forget its link's counters) while they are read.
  void pause();
  void resume();
  pid_t pid() const { return pid_; }

private:
  pid_t pid_;
  int fd_;
  std::string buf_;
  bool reaped_ = false;
  int status_ = -1;
};

class local_cluster {
public:
  /// Makes the temp folder (/tmp/sagaforge-cluster-bench-XXXXXX); throws if it cannot.
  explicit local_cluster(local_cluster_options o);
  local_cluster(const local_cluster&) = delete;
  local_cluster& operator=(const local_cluster&) = delete;
  /// down (if up was run), then the folder removed unless kept.
  ~local_cluster();

  /// `cluster/local up N`, its output on stderr; true when it said every member is ready.
  /// Not cut short by Ctrl-C (its own deadlines bound it): stopping it half way could leave
  /// a node started but not yet recorded.
  bool up();
  /// `cluster/local down`: SIGTERM to every recorded node, then etcd, by pid.
  void down();
  /// `stdbuf -oL cluster/local client ID ARGS...`; stderr goes to ours.
  client_process start_client(const std::string& id, const std::vector<std::string>& args);

  std::vector<uint16_t> member_http_ports() const;
  const std::string& folder() const { return folder_; }
  const local_cluster_options& options() const { return opts_; }

private:
  pid_t spawn(const std::vector<std::string>& argv, int stdout_fd);
  int run_script(const std::vector<std::string>& args);

  local_cluster_options opts_;
  std::string folder_;
  std::vector<std::string> env_;  // KEY=VALUE, the script's settings over our environment
  bool up_run_ = false;
  bool down_run_ = false;
};

} // namespace sagaforge::bench
