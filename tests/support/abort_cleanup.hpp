// abort_cleanup: runs one prepared command (e.g. `cluster/local down`) when the test process
// aborts. A failed CAF_REQUIRE and CAF's watchdog end a test with abort(), which skips the
// fixture's destructor; the processes a suite started through a script (etcd, nodes) are not
// our children and would outlive it. The handler only forks, execs and waits: all
// async-signal-safe, with the command's argv built before the signal can arrive.
#pragma once

#include <sys/wait.h>
#include <unistd.h>

#include <csignal>
#include <string>
#include <vector>

namespace sagaforge::testing {

class abort_cleanup {
public:
  /// Arms the handler with `argv` (argv[0] a path); disarmed by the destructor.
  explicit abort_cleanup(std::vector<std::string> argv) : args_(std::move(argv)) {
    for (auto& a : args_)
      ptrs_.push_back(a.data());
    ptrs_.push_back(nullptr);
    armed() = this;
    struct sigaction sa {};
    sa.sa_handler = &abort_cleanup::on_abort;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_RESETHAND;  // the second abort (after ours) ends the process
    ::sigaction(SIGABRT, &sa, nullptr);
  }

  ~abort_cleanup() {
    armed() = nullptr;
    std::signal(SIGABRT, SIG_DFL);
  }

  abort_cleanup(const abort_cleanup&) = delete;
  abort_cleanup& operator=(const abort_cleanup&) = delete;

private:
  static abort_cleanup*& armed() {
    static abort_cleanup* current = nullptr;
    return current;
  }

  static void on_abort(int) {
    if (auto* self = armed()) {
      armed() = nullptr;
      static const char note[] = "abort_cleanup: the test aborted; stopping what it started\n";
      (void) !::write(2, note, sizeof note - 1);
      auto pid = ::fork();
      if (pid == 0) {
        ::execv(self->ptrs_[0], self->ptrs_.data());
        ::_exit(127);
      }
      if (pid > 0) {
        int status = 0;
        ::waitpid(pid, &status, 0);
      }
    }
    ::raise(SIGABRT);  // the default action now: the abort goes on as it would have
  }

  std::vector<std::string> args_;
  std::vector<char*> ptrs_;
};

} // namespace sagaforge::testing
