// child_process: fork/exec a program with its stdout (and, if asked, its stderr) on a pipe, read
// its output line by line with a deadline, signal or SIGKILL it, reap it. For the multi-process
// suites under tests/process.
// The child gets PR_SET_PDEATHSIG=SIGKILL, so a test that aborts never leaves one behind.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

namespace sagaforge::testing {

class child_process {
public:
  /// With `with_stderr` the child's stderr goes to the same pipe (the node logs to stderr).
  /// `extra_env` ("NAME=value" each) is added to the parent's environment for the child.
  explicit child_process(const std::vector<std::string>& argv, bool with_stderr = false,
                         const std::vector<std::string>& extra_env = {}) {
    int fds[2];
    if (::pipe2(fds, O_CLOEXEC) != 0)
      throw std::runtime_error(std::string{"pipe2: "} + std::strerror(errno));
    // Everything the child needs is prepared before fork: after it, only async-signal-safe
    // calls (the test runner has threads).
    std::vector<char*> args;
    for (auto& a : argv)
      args.push_back(const_cast<char*>(a.c_str()));
    args.push_back(nullptr);
    std::vector<char*> envp;  // the extra ones first: getenv takes the first match
    for (auto& e : extra_env)
      envp.push_back(const_cast<char*>(e.c_str()));
    for (char** e = environ; *e != nullptr; ++e)
      envp.push_back(*e);
    envp.push_back(nullptr);
    auto parent = ::getpid();
    pid_ = ::fork();
    if (pid_ < 0)
      throw std::runtime_error(std::string{"fork: "} + std::strerror(errno));
    if (pid_ == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent)
        ::_exit(126);
      ::dup2(fds[1], STDOUT_FILENO);  // dup2 clears FD_CLOEXEC on the copy
      if (with_stderr)
        ::dup2(fds[1], STDERR_FILENO);
      ::execve(args[0], args.data(), envp.data());
      ::_exit(127);
    }
    ::close(fds[1]);
    fd_ = fds[0];
  }

  child_process(const child_process&) = delete;
  child_process& operator=(const child_process&) = delete;

  ~child_process() {
    if (!reaped_) {
      ::kill(pid_, SIGKILL);
      wait();
    }
    if (fd_ >= 0)
      ::close(fd_);
  }

  pid_t pid() const { return pid_; }

  bool eof() const { return eof_; }

  /// Appends the complete lines available within `timeout` to `out` (returns as soon as at
  /// least one line arrived, or at EOF, or when the timeout passes).
  void read_lines(std::chrono::milliseconds timeout, std::vector<std::string>& out) {
    auto deadline = std::chrono::steady_clock::now() + timeout;
    auto before = out.size();
    while (!eof_ && out.size() == before) {
      auto left = std::chrono::duration_cast<std::chrono::milliseconds>(
                    deadline - std::chrono::steady_clock::now())
                    .count();
      if (left < 0)
        left = 0;
      pollfd p{fd_, POLLIN, 0};
      int rc = ::poll(&p, 1, static_cast<int>(left));
      if (rc < 0 && errno == EINTR)
        continue;
      if (rc <= 0) {
        if (left == 0)
          return;
        continue;
      }
      char buf[65536];
      auto n = ::read(fd_, buf, sizeof buf);
      if (n < 0) {
        if (errno == EINTR || errno == EAGAIN)
          continue;
        eof_ = true;
        break;
      }
      if (n == 0) {
        eof_ = true;
        break;
      }
      partial_.append(buf, static_cast<size_t>(n));
      size_t start = 0;
      for (size_t nl; (nl = partial_.find('\n', start)) != std::string::npos; start = nl + 1)
        out.emplace_back(partial_, start, nl - start);
      partial_.erase(0, start);
    }
  }

  /// Whatever is left after the last newline at EOF (a line cut by a kill), if any.
  const std::string& partial() const { return partial_; }

  void kill9() {
    if (!reaped_)
      ::kill(pid_, SIGKILL);
  }

  /// E.g. SIGTERM, for a clean stop.
  void send_signal(int sig) {
    if (!reaped_)
      ::kill(pid_, sig);
  }

  /// Waits for the child to end; returns the wait status.
  int wait() {
    if (reaped_)
      return status_;
    while (::waitpid(pid_, &status_, 0) < 0 && errno == EINTR) {
    }
    reaped_ = true;
    return status_;
  }

  /// "exit 0", "signal 9", ...
  static std::string describe_status(int status) {
    if (WIFEXITED(status))
      return "exit " + std::to_string(WEXITSTATUS(status));
    if (WIFSIGNALED(status))
      return "signal " + std::to_string(WTERMSIG(status));
    return "status " + std::to_string(status);
  }

private:
  pid_t pid_ = -1;
  int fd_ = -1;
  bool eof_ = false;
  bool reaped_ = false;
  int status_ = 0;
  std::string partial_;
};

} // namespace sagaforge::testing
