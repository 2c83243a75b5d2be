// The gateway actor (see gateway.hpp).
#include "cluster/transport/gateway.hpp"

#include <spdlog/spdlog.h>

#include "caf/all.hpp"

#include "cluster/transport/messages.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/messages.hpp"

namespace sagaforge::cluster {

namespace {

caf::behavior gateway_behavior(caf::event_based_actor* self, std::shared_ptr<cluster_router> r) {
  return {
    [=](frame_atom, uint64_t seq, const std::string& bytes) {
      auto frame = decode_frame(bytes);
      if (!frame) {
        if (r->counters().bad_frames++ % 1000 == 0)
          spdlog::warn("cluster: dropped a frame that does not decode: {}",
                       describe(frame.error()));
      } else {
        r->accept(*frame);
      }
      if (auto sender = self->current_sender())
        self->send(caf::actor_cast<caf::actor>(sender), frame_ack_atom::value, seq);
    },
    [=](inspect_atom, const std::string& ref) -> caf::result<std::string> {
      if (validate_ref(ref) || !r->is_local(ref))
        return make_runtime_error(runtime_errc::not_found,
                                  ref + " is not served by node " + r->self());
      auto* ctx = r->context();
      auto target = ctx ? ctx->dir().lookup(ref, true) : caf::actor{};
      if (!target)
        return make_runtime_error(runtime_errc::not_found, ref);
      auto rp = self->make_response_promise<std::string>();
      self->request(target, std::chrono::seconds{10}, inspect_atom::value)
        .then([rp](std::string& bytes) mutable { rp.deliver(std::move(bytes)); },
              [rp](caf::error& err) mutable { rp.deliver(std::move(err)); });
      return rp;
    },
    [=](hello_atom, const std::string& node, const caf::actor& gw) {
      if (validate_node_id(node).empty())
        r->hello(node, gw);
    },
    [=](known_atom, const std::string& type) -> std::vector<std::string> {
      auto* ctx = r->context();
      return ctx ? ctx->dir().known_refs(type) : std::vector<std::string>{};
    },
  };
}

} // namespace

caf::actor spawn_gateway(caf::actor_system& sys, std::shared_ptr<cluster_router> router) {
  return sys.spawn(gateway_behavior, std::move(router));
}

} // namespace sagaforge::cluster
