// The peer link actor (see peer_link.hpp).
#include "cluster/transport/peer_link.hpp"

#include <set>

#include <spdlog/spdlog.h>

#include "caf/all.hpp"

#include "cluster/transport/messages.hpp"

namespace sagaforge::cluster {

namespace {

using relocate_atom = caf::atom_constant<caf::atom("sf_reloc")>;

struct link_state {
  static inline const char* name = "sagaforge.peer_link";
  peer_ptr p;
  link_options opts;
  caf::actor connector;
  caf::actor gateway;
  std::set<uint64_t> unacked;
  uint64_t next_seq = 0;
  int64_t backoff_ms = 100;
  bool dialling = false;
  uint64_t generation = 0;  // bumps on every (re)connection: stale dial answers are ignored
};

using link_actor = caf::stateful_actor<link_state>*;

void flush(link_actor self) {
  auto& st = self->state;
  if (!st.gateway)
    return;
  frame_header hdr{st.opts.self, st.opts.incarnation};
  while (st.unacked.size() < st.opts.frames_in_flight && !st.p->outbox.empty()) {
    auto items = st.p->outbox.take(st.opts.frame_max_bytes);
    if (items.empty())
      break;
    auto frame = encode_frame(hdr, items);
    auto seq = ++st.next_seq;
    st.unacked.insert(seq);
    st.p->outbox.frames_sent++;
    st.p->outbox.bytes_sent += frame.size();
    self->send(st.gateway, frame_atom::value, seq, std::move(frame));
  }
}

void lose_connection(link_actor self, const char* why) {
  auto& st = self->state;
  if (st.gateway) {
    self->demonitor(st.gateway);
    spdlog::warn("cluster: peer {} unreachable ({}); redialling", st.p->node, why);
  }
  st.gateway = caf::actor{};
  st.unacked.clear();
  ++st.generation;
  st.p->outbox.reachable = false;
  st.p->set_gateway(caf::actor{});
  if (st.p->state() == "up")
    st.p->set_state("unreachable");
}

void schedule_dial(link_actor self) {
  auto& st = self->state;
  if (st.dialling || !st.opts.dials)
    return;
  self->delayed_send(self, std::chrono::milliseconds{st.backoff_ms}, dial_atom::value,
                     st.generation);
  st.backoff_ms = std::min(st.backoff_ms * 2, st.opts.redial_max_ms);
  st.dialling = true;
}

/// The dialler's half of the hello (messages.hpp): checks the peer's proof, binds its process,
/// sends our own proof, and only then lets frames flow.
void hello(link_actor self, uint64_t gen, const caf::node_id& process, caf::actor gw) {
  auto& st = self->state;
  auto nonce = peer_identity::make_nonce();
  auto me = caf::to_string(self->home_system().node());
  self->request(gw, std::chrono::milliseconds{st.opts.dial_timeout_ms}, hello_atom::value,
                st.opts.self, nonce)
    .then(
      [=](std::string& node, std::string& cert, std::string& sig, std::string& their_nonce) {
        auto& s = self->state;
        s.dialling = false;
        if (gen != s.generation || s.gateway)
          return;
        auto why = node != s.p->node
                     ? "it says it is '" + node + "'"
                     : s.opts.identity->verify(
                       s.p->node, {std::move(cert), std::move(sig)},
                       hello_statement(hello_role::dialled, nonce, s.p->node, s.opts.self, me));
        if (!why.empty()) {
          spdlog::error("cluster: refusing the process at {}:{} as node {}: {}", s.opts.host,
                        s.opts.port, s.p->node, why);
          schedule_dial(self);
          return;
        }
        s.opts.authenticated->bind(process, s.p->node);
        auto proof = s.opts.identity->prove(hello_statement(
          hello_role::dialler, their_nonce, s.opts.self, s.p->node, caf::to_string(process)));
        s.gateway = gw;
        self->monitor(s.gateway);
        s.backoff_ms = 100;
        // First on the connection after the hello: our proof and where frames go to us.
        self->send(s.gateway, hello_proof_atom::value, s.opts.self, s.opts.own_gateway,
                   std::move(proof.certificate), std::move(proof.signature));
        s.p->set_gateway(s.gateway);
        s.p->set_state("up");
        s.p->outbox.reachable = true;
        spdlog::info("cluster: connected to {} at {}:{}", s.p->node, s.opts.host, s.opts.port);
        flush(self);
      },
      [=](caf::error& err) {
        auto& s = self->state;
        s.dialling = false;
        if (gen != s.generation)
          return;
        spdlog::warn("cluster: {} at {}:{} did not answer our hello: {}", s.p->node,
                     s.opts.host, s.opts.port, caf::to_string(err));
        schedule_dial(self);
      });
}

void dial(link_actor self) {
  auto& st = self->state;
  auto gen = st.generation;
  self->request(st.connector, std::chrono::milliseconds{st.opts.dial_timeout_ms},
                caf::connect_atom::value, st.opts.host, st.opts.port)
    .then(
      [=](caf::node_id& process, caf::strong_actor_ptr& ptr, std::set<std::string>&) {
        auto& s = self->state;
        if (gen != s.generation || s.gateway) {
          s.dialling = false;
          return;
        }
        if (!ptr) {
          s.dialling = false;
          schedule_dial(self);
          return;
        }
        hello(self, gen, process, caf::actor_cast<caf::actor>(ptr));
      },
      [=](caf::error& err) {
        auto& s = self->state;
        s.dialling = false;
        if (gen != s.generation)
          return;
        spdlog::debug("cluster: dialling {} at {}:{} failed: {}", s.p->node, s.opts.host,
                      s.opts.port, caf::to_string(err));
        schedule_dial(self);
      });
}

caf::behavior link_behavior(link_actor self, peer_ptr p, link_options opts,
                            caf::actor connector) {
  self->state.p = std::move(p);
  self->state.opts = std::move(opts);
  self->state.connector = std::move(connector);
  if (!self->state.opts.identity)
    self->state.opts.identity = peer_identity::none(self->state.opts.self);
  if (!self->state.opts.authenticated)
    self->state.opts.authenticated = std::make_shared<authenticated_peers>();
  self->set_down_handler([=](caf::down_msg& dm) {
    if (dm.source == self->state.gateway.address()) {
      lose_connection(self, "connection closed");
      schedule_dial(self);
    }
  });
  if (self->state.opts.dials) {
    self->state.dialling = true;
    self->send(self, dial_atom::value, self->state.generation);
  }
  return {
    [=](adopt_atom, const caf::actor& gw) {
      auto& st = self->state;
      if (st.opts.dials || !gw || gw == st.gateway)
        return;
      if (st.gateway)
        lose_connection(self, "it connected again");
      st.gateway = gw;
      self->monitor(gw);
      st.p->set_gateway(gw);
      st.p->set_state("up");
      st.p->outbox.reachable = true;
      spdlog::info("cluster: {} connected (it dials)", st.p->node);
      flush(self);
    },
    [=](dial_atom, uint64_t gen) {
      self->state.dialling = false;
      if (gen == self->state.generation && !self->state.gateway) {
        self->state.dialling = true;
        dial(self);
      }
    },
    [=](flush_atom) { flush(self); },
    [=](frame_ack_atom, uint64_t seq) {
      if (self->state.unacked.erase(seq) > 0)
        flush(self);
    },
    [=](relocate_atom, const std::string& host, uint16_t port) {
      auto& st = self->state;
      if (host == st.opts.host && port == st.opts.port)
        return;
      st.opts.host = host;
      st.opts.port = port;
      lose_connection(self, "it moved to a new address");
      st.backoff_ms = 100;
      st.dialling = false;
      schedule_dial(self);
    },
  };
}

} // namespace

caf::actor spawn_peer_link(caf::actor_system& sys, peer_ptr p, link_options opts,
                           caf::actor connector) {
  return sys.spawn(link_behavior, std::move(p), std::move(opts), std::move(connector));
}

void adopt_peer_gateway(const caf::actor& link, const caf::actor& gateway) {
  caf::anon_send(link, adopt_atom::value, gateway);
}

void relocate_peer_link(const caf::actor& link, const std::string& host, uint16_t port) {
  caf::anon_send(link, relocate_atom::value, host, port);
}

} // namespace sagaforge::cluster
