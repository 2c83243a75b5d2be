// Crash failpoints: named places in the step's path where a test process can make itself die
// as if SIGKILLed (issue 18's process-level faults). A point fires only when the environment
// variable SAGAFORGE_FAILPOINT=NAME:N names it: the N-th time the process passes it, the process
// raises SIGKILL (no destructors, no flush: what the kernel and the store already have is all
// that survives). Unset (production), a point costs one load of a static flag. Builds with
// -DSAGAFORGE_FAILPOINTS=OFF compile them out entirely.
#pragma once

#include <string_view>

namespace sagaforge::failpoint {

// The points, in the order a step passes them (docs/testing.md, "Crash failpoints").
inline constexpr std::string_view step_before_submit = "step.before-submit";
inline constexpr std::string_view commit_before_write = "commit.before-write";
inline constexpr std::string_view store_inside_write = "store.inside-write";
inline constexpr std::string_view commit_after_write = "commit.after-write";
inline constexpr std::string_view step_before_sends = "step.before-sends";
inline constexpr std::string_view step_before_ack = "step.before-ack";
inline constexpr std::string_view ack_received = "ack.received";

/// Every point's name, for validation and for tests that spread cycles over them.
const std::string_view* all_begin();
const std::string_view* all_end();

/// True when SAGAFORGE_FAILPOINT is set (read once; a bad value aborts the process at the
/// first check with a message that lists the known names).
bool armed();

/// Counts a pass of `name`; SIGKILLs the process at the configured pass.
void pass(std::string_view name);

} // namespace sagaforge::failpoint

#ifdef SAGAFORGE_WITH_FAILPOINTS
#define SAGAFORGE_FAILPOINT(name)                                                                \
  do {                                                                                           \
    if (::sagaforge::failpoint::armed())                                                         \
      ::sagaforge::failpoint::pass(name);                                                        \
  } while (false)
#else
#define SAGAFORGE_FAILPOINT(name)                                                                \
  do {                                                                                           \
  } while (false)
#endif
