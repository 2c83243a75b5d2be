// Rendering of runtime error codes.
#include "runtime/errors.hpp"

#include "caf/atom.hpp"
#include "caf/message.hpp"

namespace sagaforge {

std::string to_string(runtime_errc x) {
  switch (x) {
    case runtime_errc::invalid_ref: return "invalid_ref";
    case runtime_errc::invalid_envelope: return "invalid_envelope";
    case runtime_errc::corrupt_record: return "corrupt_record";
    case runtime_errc::store_failed: return "store_failed";
    case runtime_errc::unknown_type: return "unknown_type";
    case runtime_errc::rejected: return "rejected";
    case runtime_errc::timeout: return "timeout";
    case runtime_errc::overloaded: return "overloaded";
    case runtime_errc::dead_lettered: return "dead_lettered";
    case runtime_errc::invalid_config: return "invalid_config";
    case runtime_errc::not_found: return "not_found";
    case runtime_errc::too_large: return "too_large";
    case runtime_errc::store_damaged: return "store_damaged";
    case runtime_errc::no_space: return "no_space";
  }
  return "unknown";
}

std::string describe(const caf::error& err) {
  if (!err)
    return "ok";
  std::string ctx;
  if (!err.context().empty() && err.context().match_element<std::string>(0))
    ctx = err.context().get_as<std::string>(0);
  if (err.category() == caf::atom("runtime")) {
    auto out = "runtime." + to_string(static_cast<runtime_errc>(err.code()));
    return ctx.empty() ? out : out + ": " + ctx;
  }
  return caf::to_string(err);
}

} // namespace sagaforge
