// Runs sagaforge-console as a person's script would: fork/exec with its own environment
// (no SAGAFORGE_* leaks in from the test's), stdin from a string, stdout and stderr captured
// apart, the exit code, and a kill after a deadline so a hung console fails the test instead
// of hanging it.
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include <chrono>
#include <cstring>
#include <stdexcept>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#ifndef SAGAFORGE_CONSOLE
#error "SAGAFORGE_CONSOLE must name the sagaforge-console executable"
#endif

namespace sagaforge::testing {

struct console_result {
  int exit = -1;  // -1: killed at the deadline or by a signal
  std::string out, err;
  /// stdout as one JSON document, parsed once and kept: CAF_CHECK_EQUAL binds references,
  /// so `r.doc()["x"]` must point into something that outlives the statement.
  nlohmann::json& doc() const {
    if (!parsed_) {
      doc_ = nlohmann::json::parse(out, nullptr, false);
      parsed_ = true;
    }
    return doc_;
  }

private:
  mutable nlohmann::json doc_;
  mutable bool parsed_ = false;
};

/// Runs `argv` (argv[0] a path) with only `env` plus PATH; stdin from `input`.
inline console_result run_process(const std::vector<std::string>& argv,
                                  const std::vector<std::string>& env, const std::string& input,
                                  std::chrono::seconds deadline) {
  int in[2], out[2], err[2];
  if (::pipe2(in, O_CLOEXEC) || ::pipe2(out, O_CLOEXEC) || ::pipe2(err, O_CLOEXEC))
    throw std::runtime_error("pipe2 failed");
  std::vector<std::string> envs{"PATH=/usr/bin:/bin"};
  envs.insert(envs.end(), env.begin(), env.end());
  std::vector<char*> a, e;
  for (auto& s : argv)
    a.push_back(const_cast<char*>(s.c_str()));
  a.push_back(nullptr);
  for (auto& s : envs)
    e.push_back(const_cast<char*>(s.c_str()));
  e.push_back(nullptr);
  pid_t pid = ::fork();
  if (pid == 0) {
    ::prctl(PR_SET_PDEATHSIG, SIGKILL);
    ::dup2(in[0], 0);
    ::dup2(out[1], 1);
    ::dup2(err[1], 2);
    ::execve(a[0], a.data(), e.data());
    ::_exit(127);
  }
  ::close(in[0]);
  ::close(out[1]);
  ::close(err[1]);
  if (!input.empty() && ::write(in[1], input.data(), input.size()) < 0) {
    // the console may have exited already; its output says why
  }
  ::close(in[1]);
  console_result r;
  auto until = std::chrono::steady_clock::now() + deadline;
  pollfd fds[2] = {{out[0], POLLIN, 0}, {err[0], POLLIN, 0}};
  int open = 2;
  while (open > 0) {
    auto left = std::chrono::duration_cast<std::chrono::milliseconds>(until - std::chrono::steady_clock::now()).count();
    if (left <= 0) {
      ::kill(pid, SIGKILL);
      break;
    }
    if (::poll(fds, 2, static_cast<int>(left)) < 0)
      continue;
    for (int i = 0; i < 2; ++i) {
      if (fds[i].fd < 0 || !(fds[i].revents & (POLLIN | POLLHUP)))
        continue;
      char buf[8192];
      auto n = ::read(fds[i].fd, buf, sizeof buf);
      if (n <= 0) {
        ::close(fds[i].fd);
        fds[i].fd = -1;
        --open;
      } else {
        (i == 0 ? r.out : r.err).append(buf, static_cast<size_t>(n));
      }
    }
  }
  for (auto& f : fds)
    if (f.fd >= 0)
      ::close(f.fd);
  int status = 0;
  ::waitpid(pid, &status, 0);
  r.exit = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  return r;
}

/// sagaforge-console with `args`, HOME=/tmp and NO_COLOR=1 besides `env`.
inline console_result run_console(const std::vector<std::string>& args,
                                  const std::vector<std::string>& env = {},
                                  const std::string& input = {},
                                  std::chrono::seconds deadline = std::chrono::seconds{60}) {
  std::vector<std::string> argv{SAGAFORGE_CONSOLE};
  argv.insert(argv.end(), args.begin(), args.end());
  std::vector<std::string> envs{"HOME=/tmp", "NO_COLOR=1"};
  envs.insert(envs.end(), env.begin(), env.end());
  return run_process(argv, envs, input, deadline);
}

}  // namespace sagaforge::testing
