// Crash failpoints: parsing SAGAFORGE_FAILPOINT once and counting passes (see failpoint.hpp).
#include "runtime/failpoint.hpp"

#include <signal.h>
#include <unistd.h>

#include <atomic>
#include <cstdio>
#include <cstdlib>
#include <string>

namespace sagaforge::failpoint {

namespace {

constexpr std::string_view all_points[] = {step_before_submit, commit_before_write,
                                           store_inside_write, commit_after_write,
                                           step_before_sends,  step_before_ack,
                                           ack_received};

struct config {
  std::string_view point;  // one of all_points; empty: disarmed
  long long at_pass = 0;
};

std::atomic<long long> passes_of_point{0};

[[noreturn]] void refuse(const char* value, const char* why) {
  std::string known;
  for (auto p : all_points)
    known += std::string{known.empty() ? "" : ", "} + std::string{p};
  std::fprintf(stderr,
               "SAGAFORGE_FAILPOINT='%s': %s; expected NAME:N (N >= 1, the pass that crashes) "
               "with NAME one of: %s\n",
               value, why, known.c_str());
  std::_Exit(2);
}

const config& parsed() {
  static const config cfg = [] {
    config c;
    auto* value = std::getenv("SAGAFORGE_FAILPOINT");
    if (value == nullptr || *value == '\0')
      return c;
    std::string_view v{value};
    auto colon = v.rfind(':');
    if (colon == std::string_view::npos)
      refuse(value, "no ':N'");
    auto name = v.substr(0, colon);
    for (auto p : all_points)
      if (p == name)
        c.point = p;
    if (c.point.empty())
      refuse(value, "unknown failpoint");
    char* end = nullptr;
    std::string n{v.substr(colon + 1)};
    c.at_pass = std::strtoll(n.c_str(), &end, 10);
    if (n.empty() || *end != '\0' || c.at_pass < 1)
      refuse(value, "N is not a positive integer");
    return c;
  }();
  return cfg;
}

} // namespace

const std::string_view* all_begin() {
  return std::begin(all_points);
}

const std::string_view* all_end() {
  return std::end(all_points);
}

bool armed() {
  static const bool on = !parsed().point.empty();
  return on;
}

void pass(std::string_view name) {
  auto& cfg = parsed();
  if (name != cfg.point)
    return;
  if (passes_of_point.fetch_add(1) + 1 != cfg.at_pass)
    return;
  // Said on stderr with write(2) alone: the process is about to die without flushing.
  std::string line = "failpoint " + std::string{name} + " reached at pass "
                     + std::to_string(cfg.at_pass) + ": SIGKILL\n";
  auto rc = ::write(STDERR_FILENO, line.data(), line.size());
  (void) rc;
  ::raise(SIGKILL);
  std::abort();  // not reached: SIGKILL cannot be caught
}

} // namespace sagaforge::failpoint
