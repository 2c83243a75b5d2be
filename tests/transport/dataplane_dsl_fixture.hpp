// The fixture of cluster.dataplane.dsl: two simulated nodes, "earth" and "mars", each its own
// CAF actor system on CAF's io test DSL (caf/test/io_dsl.hpp: the test coordinator and the
// test_multiplexer network backend, no sockets), each with the real data plane of a node:
// a cluster_router over a runtime_context, the gateway, and peer links that dial through the
// node's own middleman actor (mm.actor_handle(), io::middleman_actor's connect_atom). The
// entities are probes: the directory spawns one per activated ref, and each records the
// envelope ids it is delivered. Earth ("earth" < "mars") dials; mars publishes its gateway
// on the simulated port 8080 and adopts earth's gateway from the hello.
// Runs on the test thread only; nothing here is thread-safe or needs to be.
#pragma once

#include <memory>
#include <string>
#include <utility>
#include <vector>

#include "caf/test/io_dsl.hpp"

#include "caf/all.hpp"
#include "caf/io/all.hpp"

#include "cluster/transport/cluster_router.hpp"
#include "cluster/transport/frame.hpp"
#include "cluster/transport/gateway.hpp"
#include "cluster/transport/messages.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/local_envelope.hpp"
#include "runtime/memory_store.hpp"
#include "runtime/messages.hpp"
#include "runtime/runtime_context.hpp"

namespace sagaforge::testing {

struct planet_config : caf::actor_system_config {
  planet_config() {
    load<caf::io::middleman>();
  }
};

using planet_base = test_coordinator_fixture<planet_config>;

inline constexpr uint32_t dsl_shards = 4;
inline constexpr uint16_t mars_port = 8080;

/// What the probes of one node were delivered, in order: "<ref> <envelope id>".
using delivery_log = std::shared_ptr<std::vector<std::string>>;

inline caf::behavior probe_entity(caf::event_based_actor*, std::string ref, delivery_log log) {
  return {[=](deliver_atom, const envelope_ptr& env) { log->push_back(ref + " " + env->id()); }};
}

/// One node's data plane: router, runtime context (memory store, inline commits, a
/// directory of probes) and gateway.
struct data_plane {
  std::string id;
  delivery_log delivered = std::make_shared<std::vector<std::string>>();
  std::unique_ptr<runtime_context> ctx;
  std::shared_ptr<cluster::cluster_router> router;
  caf::actor gateway;

  data_plane(std::string node, caf::actor_system& sys, caf::actor connector,
             const cluster::link_options& lo, size_t peer_buffer_bytes)
    : id(std::move(node)) {
    runtime_settings s;
    s.shard_count = dsl_shards;
    commit_pipeline::options inline_commits;
    inline_commits.threaded = false;
    ctx = std::make_unique<runtime_context>(sys, s, std::make_shared<memory_store>(),
                                            inline_commits);
    auto log = delivered;
    ctx->set_directory(std::make_shared<directory>(
      dsl_shards, [&sys, log](const std::string& ref, uint64_t, active_entry_ptr, caf::actor) {
        return sys.spawn(probe_entity, ref, log);
      }));
    router = std::make_shared<cluster::cluster_router>(sys, id, 1, lo, peer_buffer_bytes,
                                                       std::move(connector));
    gateway = cluster::spawn_gateway(sys, router);
    router->set_own_gateway(gateway);
    router->attach(*ctx);
  }

  /// Unbinds and stops everything; the actors exit when the scheduler runs next.
  void stop() {
    router->detach();
    router->stop();
    caf::anon_send_exit(gateway, caf::exit_reason::user_shutdown);
    for (auto& h : ctx->dir().clear())
      caf::anon_send_exit(h, caf::exit_reason::user_shutdown);
  }

  cluster::peer_ptr peer(const std::string& node) const {
    auto p = router->peer_of(node);
    CAF_REQUIRE(p != nullptr);
    return p;
  }
  caf::actor link(const std::string& node) const {
    return peer(node)->link;
  }
  /// The entity actor of `ref` here, if one was activated.
  caf::actor entity(const std::string& ref) const {
    return ctx->dir().lookup(ref, false);
  }
};

/// A map over both nodes: (owner, epoch) per shard.
inline cluster::cluster_map dsl_map(int64_t revision,
                           const std::vector<std::pair<std::string, uint64_t>>& rows) {
  cluster::cluster_map m;
  m.revision = revision;
  m.shard_count = dsl_shards;
  for (auto& [owner, epoch] : rows)
    m.shards.push_back(cluster::shard_entry{owner, epoch, 0, ""});
  for (std::string node : {"earth", "mars"}) {
    m.roster[node] = cluster::roster_entry{node, "active", ""};
    cluster::member_info mi;
    mi.node = node;
    mi.host = node;
    mi.port = node == "mars" ? mars_port : 8081;  // earth is never dialled
    mi.state = "up";
    m.members[node] = mi;
  }
  return m;
}

/// The i-th ref of the form counter/cNNN in `shard` (same length: same item size).
inline std::string ref_in(uint32_t shard, int i = 0) {
  for (int k = 100;; ++k) {
    auto ref = "counter/c" + std::to_string(k);
    if (shard_of(ref, dsl_shards) == shard && i-- == 0)
      return ref;
  }
}

/// An envelope of a fixed size (for seq < 10) from counter/src to `to`.
inline envelope_ptr make_envelope(const std::string& to, uint64_t seq) {
  auto env = std::make_shared<Envelope>();
  env->set_id("counter/src->" + to + "#" + std::to_string(seq));
  env->set_sender("counter/src");
  env->set_receiver(to);
  env->set_type("test.Pad");
  env->set_payload(std::string(100, 'x'));
  env->set_attempt(1);
  env->set_channel_seq(seq);
  return env;
}

/// The bytes one such envelope takes in a frame (the router's deliver item).
inline size_t item_bytes(const std::string& to, uint64_t seq) {
  cluster::frame_item it;
  it.kind = cluster::item_kind::deliver;
  it.shard = shard_of(to, dsl_shards);
  it.epoch = 1;
  it.payload = make_envelope(to, seq)->SerializeAsString();
  std::string out;
  cluster::encode_item(it, out);
  return out.size();
}

struct dataplane_fixture : point_to_point_fixture<planet_base> {
  std::unique_ptr<data_plane> e;  // earth: dials
  std::unique_ptr<data_plane> m;  // mars: published on mars_port
  int64_t revision = 0;
  caf::io::accept_handle mars_acceptor;  // mars's listener on mars_port
  std::pair<caf::io::connection_handle, caf::io::connection_handle> conn;  // (mars, earth)

  ~dataplane_fixture() {
    for (auto* dp : {e.get(), m.get()})
      if (dp)
        dp->stop();
    run();
  }

  /// Runs messages and simulated I/O on both nodes until idle, one event per node in turn
  /// (two processes side by side); fires no timer. A broker's queued messages run before
  /// it reads more input: with reads first, mars's BASP lost the answer to earth's hello
  /// after a reconnect (CAF 0.17.6; a link whose hello gets no answer redials after its
  /// dial timeout, which these cases do not wait for).
  void settle() {
    auto step = [](planet_type& p) {
      return p.sched.try_run_once() || p.mpx.try_exec_runnable() || p.mpx.read_data()
             || p.mpx.try_accept_connection();
    };
    for (;;) {
      auto on_earth = step(earth);
      auto on_mars = step(mars);
      if (!on_earth && !on_mars)
        return;
    }
  }

  /// Runs only the simulated network and the BASP brokers: what the nodes sent lands in the
  /// receiving actors' mailboxes, and none of those actors runs.
  void transmit() {
    this->network_traffic();
  }

  /// Breaks the connection on both ends, as a lost TCP connection would: each side's BASP
  /// drops its route to the other node and the proxies of that node's actors go down.
  void break_connection() {
    using caf::io::network::operation;
    mars.mpx.impl_ptr(conn.first)->io_failure(&mars.mpx, operation::read);
    earth.mpx.impl_ptr(conn.second)->io_failure(&earth.mpx, operation::read);
  }

  /// The next connect from earth to mars:mars_port reaches mars's listener.
  void listen_again() {
    conn = prepare_connection(mars, earth, "mars", mars_port, mars_acceptor);
  }

  caf::actor connector(planet_type& p) {
    return caf::actor_cast<caf::actor>(p.mm.actor_handle());
  }

  /// Both nodes' data planes under `map`, connected (earth dialled, mars adopted).
  void start(const cluster::cluster_map& map, cluster::link_options lo, size_t peer_buffer_bytes) {
    mars_acceptor = next_accept_handle();
    listen_again();
    e = std::make_unique<data_plane>("earth", earth.sys, connector(earth), lo, peer_buffer_bytes);
    m = std::make_unique<data_plane>("mars", mars.sys, connector(mars), lo, peer_buffer_bytes);
    mars.publish(m->gateway, mars_port);
    m->router->update(map);
    e->router->update(map);
    settle();
    CAF_REQUIRE_EQUAL(e->peer("mars")->state(), "up");
    CAF_REQUIRE_EQUAL(m->peer("earth")->state(), "up");
  }

  /// Shards 0 and 1 on mars, 2 and 3 on earth, all at epoch 1.
  cluster::cluster_map plain_map() {
    return dsl_map(++revision, {{"mars", 1}, {"mars", 1}, {"earth", 1}, {"earth", 1}});
  }

  bool send(data_plane& from, const std::string& to, uint64_t seq) {
    return from.router->route(to, caf::make_message(deliver_atom::value, make_envelope(to, seq)),
                              true);
  }

  // -- expectations, message by message --

  /// The link (on `p`) is woken to flush its outbox.
  void expect_flush(planet_type& p, const caf::actor& link) {
    expect_on(p, (cluster::flush_atom), from(_).to(link));
  }
  /// The gateway (on `p`) takes frame `seq` next.
  void expect_frame(planet_type& p, const caf::actor& gw, uint64_t seq) {
    expect_on(p, (cluster::frame_atom, uint64_t, std::string), from(_).to(gw).with(_, seq, _));
  }
  /// The link (on `p`) takes the ack of frame `seq` next.
  void expect_ack(planet_type& p, const caf::actor& link, uint64_t seq) {
    expect_on(p, (cluster::frame_ack_atom, uint64_t), from(_).to(link).with(_, seq));
  }

  /// The frame next in `gw`'s mailbox, decoded (the message stays there).
  cluster::decoded_frame peek_frame(const caf::actor& gw) {
    auto [atom, seq, bytes] = extract<cluster::frame_atom, uint64_t, std::string>(gw);
    static_cast<void>(atom);
    static_cast<void>(seq);
    auto f = cluster::decode_frame(bytes);
    CAF_REQUIRE(f);
    return std::move(*f);
  }
};

} // namespace sagaforge::testing
