// The gateway actor (see gateway.hpp).
#include "cluster/transport/gateway.hpp"

#include <map>

#include <spdlog/spdlog.h>

#include "caf/all.hpp"

#include "cluster/transport/messages.hpp"
#include "cluster/transport/peer_identity.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/messages.hpp"

namespace sagaforge::cluster {

namespace {

struct challenge {
  std::string node;   // the id the dialler claims
  std::string nonce;  // ours, which its proof must sign
};

struct gateway_state {
  static inline const char* name = "sagaforge.gateway";
  // One open hello per dialling process; bounded by the processes that got through CAF's TLS
  // (cluster certificates only), cleared whole if it ever grows past that.
  std::map<caf::node_id, challenge> challenges;
};

constexpr size_t open_hellos_max = 1024;

using gateway_actor = caf::stateful_actor<gateway_state>*;

/// The node id the current sender's process proved; "" when it proved none. Without TLS
/// (tests), every sender is trusted as the frame says.
std::string proven_sender(gateway_actor self, cluster_router& r, const std::string& claimed) {
  if (!r.identity()->enabled())
    return claimed;
  auto sender = self->current_sender();
  return sender ? r.authenticated()->node_of(sender->node()) : std::string{};
}

void refuse_unproven(cluster_router& r, const char* what, const std::string& claimed) {
  if (r.counters().unproven++ % 1000 == 0)
    spdlog::warn("cluster: dropped {} from a process that has not proven to be '{}' (hello "
                 "missing or refused)",
                 what, claimed);
}

caf::behavior gateway_behavior(gateway_actor self, std::shared_ptr<cluster_router> r) {
  return {
    [=](frame_atom, uint64_t seq, const std::string& bytes) {
      auto frame = decode_frame(bytes);
      if (!frame) {
        if (r->counters().bad_frames++ % 1000 == 0)
          spdlog::warn("cluster: dropped a frame that does not decode: {}",
                       describe(frame.error()));
      } else if (proven_sender(self, *r, frame->header.from) != frame->header.from) {
        refuse_unproven(*r, "a frame", frame->header.from);
      } else {
        r->accept(*frame);
      }
      // Acked either way: the sender's credit returns; what was dropped is resent from the
      // durable outboxes it came from.
      if (auto sender = self->current_sender())
        self->send(caf::actor_cast<caf::actor>(sender), frame_ack_atom::value, seq);
    },
    [=](inspect_atom, const std::string& ref) -> caf::result<std::string> {
      if (proven_sender(self, *r, "?").empty()) {
        refuse_unproven(*r, "a read", "a member");
        return make_runtime_error(runtime_errc::not_found, "not a proven member");
      }
      if (!r->inbound_open())  // reading activates: not before the start-up scan
        return make_runtime_error(runtime_errc::not_found,
                                  "node " + r->self() + " is starting: ask again");
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
    // The dialled side's half of the hello (messages.hpp).
    [=](hello_atom, const std::string& node, const std::string& nonce)
      -> caf::result<std::string, std::string, std::string, std::string> {
      auto sender = self->current_sender();
      if (!sender || !validate_node_id(node).empty() || node == r->self() || nonce.size() != 64) {
        r->counters().refused_hellos++;
        return make_runtime_error(runtime_errc::invalid_config, "a malformed hello");
      }
      auto& open = self->state.challenges;
      if (open.size() >= open_hellos_max)
        open.clear();
      auto mine = peer_identity::make_nonce();
      open[sender->node()] = challenge{node, mine};
      auto proof = r->identity()->prove(hello_statement(hello_role::dialled, nonce, r->self(),
                                                        node, caf::to_string(sender->node())));
      return caf::make_result(r->self(), std::move(proof.certificate),
                              std::move(proof.signature), std::move(mine));
    },
    [=](hello_proof_atom, const std::string& node, const caf::actor& gw,
        std::string& cert, std::string& sig) {
      auto sender = self->current_sender();
      if (!sender)
        return;
      auto& open = self->state.challenges;
      auto i = open.find(sender->node());
      std::string why;
      if (i == open.end() || i->second.node != node) {
        why = "no hello of its own came before";
      } else {
        why = r->identity()->verify(
          node, {std::move(cert), std::move(sig)},
          hello_statement(hello_role::dialler, i->second.nonce, node, r->self(),
                          caf::to_string(self->home_system().node())));
        open.erase(i);
      }
      if (!why.empty() || !gw) {
        r->counters().refused_hellos++;
        spdlog::error("cluster: refused a hello from a process that claims to be '{}': {}", node,
                      why.empty() ? "no gateway named" : why);
        return;
      }
      r->authenticated()->bind(sender->node(), node);
      r->hello(node, gw);
    },
    [=](known_atom, const std::string& type) -> std::vector<std::string> {
      if (proven_sender(self, *r, "?").empty()) {
        refuse_unproven(*r, "a read", "a member");
        return {};
      }
      auto* ctx = r->context();
      return ctx && r->inbound_open() ? ctx->dir().known_refs(type) : std::vector<std::string>{};
    },
  };
}

} // namespace

caf::actor spawn_gateway(caf::actor_system& sys, std::shared_ptr<cluster_router> router) {
  return sys.spawn(gateway_behavior, std::move(router));
}

} // namespace sagaforge::cluster
