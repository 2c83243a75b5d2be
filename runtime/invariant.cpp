// Where an always-on assertion stops the process: one line on stderr and in the log, the
// log flushed, then abort() (a core dump where the system keeps them).
#include "runtime/invariant.hpp"

#include <cstdio>
#include <cstdlib>

#include <spdlog/spdlog.h>

namespace sagaforge {

void invariant_failed(const char* condition, std::string_view what, const char* file,
                      int line) {
  std::fprintf(stderr, "sagaforge: invariant violated at %s:%d: %s (%.*s)\n", file, line,
               condition, static_cast<int>(what.size()), what.data());
  std::fflush(stderr);
  spdlog::critical("invariant violated at {}:{}: {} ({})", file, line, condition, what);
  if (auto logger = spdlog::default_logger())
    logger->flush();
  std::abort();
}

} // namespace sagaforge
