// Always-on assertions: where the code relies on something that "cannot happen" (an event of
// no known kind reaching apply, a record that Protobuf refuses to encode), going on would
// commit or serve wrong state. These stop the process with file:line instead, in every build
// (NDEBUG does not remove them); the supervisor's restart and the store's recovery take over.
#pragma once

#include <string_view>

namespace sagaforge {

/// Writes "invariant violated at FILE:LINE: CONDITION (WHAT)" to stderr and the log, then
/// aborts. Never returns.
[[noreturn]] void invariant_failed(const char* condition, std::string_view what,
                                   const char* file, int line);

} // namespace sagaforge

/// Aborts with file:line when `condition` is false; `condition` is always evaluated.
#define SAGAFORGE_ASSERT(condition, what)                                                     \
  ((condition) ? static_cast<void>(0)                                                         \
               : ::sagaforge::invariant_failed(#condition, (what), __FILE__, __LINE__))

/// Marks a branch that no valid input reaches.
#define SAGAFORGE_UNREACHABLE(what) ::sagaforge::invariant_failed("unreachable", (what), \
                                                                  __FILE__, __LINE__)
