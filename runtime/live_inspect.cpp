// Non-activating inspection (see live_inspect.hpp).
#include "runtime/live_inspect.hpp"

#include "caf/scoped_actor.hpp"

#include "runtime/directory.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/messages.hpp"

namespace sagaforge {

caf::expected<EntityReport> inspect_if_active(runtime_context& ctx, const std::string& ref,
                                              std::chrono::milliseconds timeout) {
  if (auto err = validate_ref(ref))
    return err;
  auto target = ctx.dir().lookup(ref, false);
  if (!target)
    return make_runtime_error(runtime_errc::not_found, ref + " is not active");
  caf::scoped_actor self{ctx.system()};
  caf::expected<EntityReport> out{make_runtime_error(runtime_errc::timeout, ref)};
  self->request(target, timeout, inspect_atom::value)
    .receive(
      [&](const std::string& bytes) {
        EntityReport r;
        if (!r.ParseFromString(bytes))
          out = make_runtime_error(runtime_errc::invalid_envelope, "report does not parse");
        else if (r.ref() != ref)  // passivated meanwhile; its actor serves another entity
          out = make_runtime_error(runtime_errc::not_found, ref + " is not active");
        else
          out = std::move(r);
      },
      [&](caf::error& err) { out = std::move(err); });
  return out;
}

}  // namespace sagaforge
