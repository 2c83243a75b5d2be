// shell_run: runs a shell command from a test and collects its output (stdout and stderr),
// for suites that drive command-line tools (promtool, cluster/local).
#pragma once

#include <sys/wait.h>

#include <cstdio>
#include <string>

namespace sagaforge::testing {

/// The command's exit status (128 + signal when killed, -1 when it cannot start); `out`
/// gets its stdout and stderr.
inline int shell_run(const std::string& cmd, std::string& out) {
  out.clear();
  auto* p = ::popen((cmd + " 2>&1").c_str(), "r");
  if (!p)
    return -1;
  char buf[4096];
  for (size_t n; (n = std::fread(buf, 1, sizeof buf, p)) > 0;)
    out.append(buf, n);
  auto status = ::pclose(p);
  return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

} // namespace sagaforge::testing
