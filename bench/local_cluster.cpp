// local_cluster implementation: fork/exec of the script with the cluster's settings in its
// environment. The benchmark starts no thread in cluster mode, so fork is safe here.
#include "bench/local_cluster.hpp"

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <stdexcept>

#include "bench/report.hpp"

extern char** environ;

namespace sagaforge::bench {

namespace {

volatile sig_atomic_t interrupt_flag = 0;

void on_interrupt(int) {
  interrupt_flag = 1;
}

int exit_status(int status) {
  if (WIFEXITED(status))
    return WEXITSTATUS(status);
  if (WIFSIGNALED(status))
    return 128 + WTERMSIG(status);
  return -1;
}

/// Waits for `pid`, through interruptions (the caller decides what an interrupt means).
int reap(pid_t pid) {
  int status = 0;
  while (::waitpid(pid, &status, 0) < 0) {
    if (errno != EINTR)
      return -1;
  }
  return exit_status(status);
}

} // namespace

void install_interrupt_handlers() {
  struct sigaction sa {};
  sa.sa_handler = on_interrupt;
  sigemptyset(&sa.sa_mask);
  sa.sa_flags = 0;  // no SA_RESTART: poll and waitpid return EINTR
  ::sigaction(SIGINT, &sa, nullptr);
  ::sigaction(SIGTERM, &sa, nullptr);
}

bool interrupted() {
  return interrupt_flag != 0;
}

// -- client_process ---------------------------------------------------------------------

client_process::~client_process() {
  if (!reaped_) {
    terminate();
    wait();
  }
  if (fd_ >= 0)
    ::close(fd_);
}

bool client_process::read_line(std::string& line, int timeout_ms, bool& eof) {
  eof = false;
  for (;;) {
    auto nl = buf_.find('\n');
    if (nl != std::string::npos) {
      line = buf_.substr(0, nl);
      buf_.erase(0, nl + 1);
      return true;
    }
    if (fd_ < 0) {
      eof = true;
      if (buf_.empty())
        return false;
      line.swap(buf_);
      buf_.clear();
      return true;
    }
    pollfd p{fd_, POLLIN, 0};
    int n = ::poll(&p, 1, timeout_ms);
    if (n <= 0)
      return false;  // timeout or EINTR: the caller looks at the clock and the flag
    char chunk[4096];
    auto got = ::read(fd_, chunk, sizeof chunk);
    if (got < 0 && errno == EINTR)
      return false;
    if (got <= 0) {
      ::close(fd_);
      fd_ = -1;
      continue;
    }
    buf_.append(chunk, static_cast<size_t>(got));
  }
}

int client_process::wait() {
  if (!reaped_) {
    status_ = reap(pid_);
    reaped_ = true;
  }
  return status_;
}

void client_process::terminate() {
  if (!reaped_) {
    ::kill(pid_, SIGTERM);
    ::kill(pid_, SIGCONT);  // a stopped process acts on SIGTERM only once continued
  }
}

void client_process::pause() {
  if (reaped_ || ::kill(pid_, SIGSTOP) != 0)
    return;
  // Until it is stopped indeed (or gone: then it is reaped here).
  int status = 0;
  while (::waitpid(pid_, &status, WUNTRACED) < 0) {
    if (errno != EINTR)
      return;
  }
  if (!WIFSTOPPED(status)) {
    status_ = exit_status(status);
    reaped_ = true;
  }
}

void client_process::resume() {
  if (!reaped_)
    ::kill(pid_, SIGCONT);
}

// -- local_cluster ----------------------------------------------------------------------

local_cluster::local_cluster(local_cluster_options o) : opts_(std::move(o)) {
  std::string tmpl =
    (std::filesystem::temp_directory_path() / "sagaforge-cluster-bench-XXXXXX").string();
  if (::mkdtemp(tmpl.data()) == nullptr)
    throw std::runtime_error("cannot make a temp folder: " + std::string{std::strerror(errno)});
  folder_ = tmpl;
  std::vector<std::pair<std::string, std::string>> ours{
    {"SAGAFORGE_LOCAL", folder_},
    {"SAGAFORGE_NODE_BIN", opts_.node_bin},
    {"SAGAFORGE_PORT_BASE", std::to_string(opts_.port_base)},
    {"SAGAFORGE_ETCD_PORT", std::to_string(opts_.etcd_port)},
    {"SAGAFORGE_SHARDS", std::to_string(opts_.shards)},
    {"SAGAFORGE_CLUSTER_NAME", opts_.cluster_name},
    {"SAGAFORGE_NODE_ARGS", opts_.node_args}};
  for (char** e = environ; *e != nullptr; ++e) {
    std::string kv{*e};
    bool overridden = false;
    for (auto& [k, v] : ours)
      overridden = overridden || kv.compare(0, k.size() + 1, k + "=") == 0;
    if (!overridden)
      env_.push_back(std::move(kv));
  }
  for (auto& [k, v] : ours)
    env_.push_back(k + "=" + v);
}

local_cluster::~local_cluster() {
  if (up_run_ && !down_run_)
    down();
  if (!opts_.keep_folder) {
    std::error_code ec;
    std::filesystem::remove_all(folder_, ec);
    if (ec)
      progress("cannot remove %s: %s", folder_.c_str(), ec.message().c_str());
  } else {
    progress("kept %s (logs, data)", folder_.c_str());
  }
}

pid_t local_cluster::spawn(const std::vector<std::string>& argv, int stdout_fd) {
  std::vector<char*> args, envp;
  for (auto& a : argv)
    args.push_back(const_cast<char*>(a.c_str()));
  args.push_back(nullptr);
  for (auto& e : env_)
    envp.push_back(const_cast<char*>(e.c_str()));
  envp.push_back(nullptr);
  std::fflush(stdout);
  std::fflush(stderr);
  pid_t pid = ::fork();
  if (pid < 0)
    throw std::runtime_error("fork: " + std::string{std::strerror(errno)});
  if (pid == 0) {
    ::setpgid(0, 0);  // out of the terminal's group: Ctrl-C is the benchmark's to handle
    ::signal(SIGINT, SIG_DFL);
    ::signal(SIGTERM, SIG_DFL);
    ::dup2(stdout_fd, STDOUT_FILENO);
    ::execvpe(args[0], args.data(), envp.data());
    std::fprintf(stderr, "cannot run %s: %s\n", args[0], std::strerror(errno));
    ::_exit(127);
  }
  return pid;
}

int local_cluster::run_script(const std::vector<std::string>& args) {
  std::vector<std::string> argv{"bash", opts_.script};
  argv.insert(argv.end(), args.begin(), args.end());
  // The script's lines are progress: they go to stderr, stdout keeps the figures.
  return reap(spawn(argv, STDERR_FILENO));
}

bool local_cluster::up() {
  up_run_ = true;
  return run_script({"up", std::to_string(opts_.members)}) == 0;
}

void local_cluster::down() {
  down_run_ = true;
  if (int rc = run_script({"down"}); rc != 0)
    progress("cluster/local down in %s exited %d", folder_.c_str(), rc);
}

client_process local_cluster::start_client(const std::string& id,
                                           const std::vector<std::string>& args) {
  int fds[2];
  if (::pipe2(fds, O_CLOEXEC) != 0)
    throw std::runtime_error("pipe: " + std::string{std::strerror(errno)});
  // stdbuf -oL: the node's printf lines reach the pipe as they are printed (a pipe is
  // block-buffered otherwise), so the benchmark scrapes the metrics at the right moment.
  std::vector<std::string> argv{"stdbuf", "-oL", "bash", opts_.script, "client", id};
  argv.insert(argv.end(), args.begin(), args.end());
  pid_t pid = spawn(argv, fds[1]);  // dup2 clears O_CLOEXEC on the child's stdout
  ::close(fds[1]);
  return client_process{pid, fds[0]};
}

std::vector<uint16_t> local_cluster::member_http_ports() const {
  std::vector<uint16_t> ports;
  for (int k = 1; k <= opts_.members; ++k)
    ports.push_back(static_cast<uint16_t>(9470 + k + opts_.port_base));
  return ports;
}

} // namespace sagaforge::bench
