// The cluster router (see cluster_router.hpp).
#include "cluster/transport/cluster_router.hpp"

#include <mutex>
#include <tuple>

#include <spdlog/spdlog.h>

#include "caf/all.hpp"

#include "cluster/transport/messages.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/invariant.hpp"
#include "runtime/local_envelope.hpp"
#include "runtime/messages.hpp"
#include "runtime/steady_clock_ms.hpp"

namespace sagaforge::cluster {

namespace {

/// "client/n2:node-17.3" -> "n2"; "" for a client of no particular node.
std::string client_node(const std::string& ref) {
  auto id = ref_id(ref);
  auto colon = id.find(':');
  return colon == std::string_view::npos ? std::string{} : std::string{id.substr(0, colon)};
}

/// The frame item for a message the runtime routes; false for messages that stay local.
bool to_item(const std::string& to, const caf::message& msg, frame_item& it) {
  it.to = to;
  if (msg.match_elements<deliver_atom, envelope_ptr>()) {
    it.kind = item_kind::deliver;
    it.payload = msg.get_as<envelope_ptr>(1)->SerializeAsString();
    return true;
  }
  if (msg.match_elements<ack_atom, std::string>()) {
    it.kind = item_kind::ack;
    it.payload = msg.get_as<std::string>(1);
    return true;
  }
  if (msg.match_elements<acked_atom, std::string, uint64_t>()) {
    it.kind = item_kind::acked;
    it.receiver = msg.get_as<std::string>(1);
    it.seq = msg.get_as<uint64_t>(2);
    return true;
  }
  return false;  // wake, settle: for the shard's owner to do itself
}

} // namespace

cluster_router::cluster_router(caf::actor_system& sys, std::string self, uint64_t incarnation,
                               link_options link_defaults, size_t peer_buffer_bytes,
                               caf::actor connector)
  : sys_(sys), self_(std::move(self)), incarnation_(incarnation),
    link_defaults_(std::move(link_defaults)), peer_buffer_bytes_(peer_buffer_bytes),
    connector_(std::move(connector)) {
  link_defaults_.self = self_;
  link_defaults_.incarnation = incarnation_;
  set_identity(peer_identity::none(self_));
}

void cluster_router::set_identity(peer_identity_ptr id) {
  // Before any link exists (cluster_member sets it right after construction).
  identity_ = std::move(id);
  link_defaults_.identity = identity_;
  link_defaults_.authenticated = authenticated_;
}

cluster_router::~cluster_router() {
  stop();
}

void cluster_router::stop() {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  for (auto& [node, p] : peers_) {
    p->outbox.reachable = false;
    if (p->link)
      caf::anon_send_exit(p->link, caf::exit_reason::user_shutdown);
  }
}

void cluster_router::attach(runtime_context& ctx, bool inbound) {
  ctx_.store(&ctx);
  inbound_.store(inbound);
  std::shared_lock<std::shared_mutex> guard{mtx_};
  for (uint32_t s = 0; s < rows_.size() && s < ctx.shard_count(); ++s)
    ctx.dir().set_serving(s, rows_[s].owner == self_, rows_[s].epoch);
}

void cluster_router::detach() {
  std::unique_lock<std::shared_mutex> guard{mtx_};  // update() reads ctx_ under this lock
  ctx_.store(nullptr);
}

bool cluster_router::owns(uint32_t shard) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  return shard < rows_.size() && rows_[shard].owner == self_;
}

std::pair<std::string, uint64_t> cluster_router::destination(uint32_t shard) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  if (shard >= rows_.size())
    return {};
  auto& row = rows_[shard];
  auto& hint = hints_[shard];
  if (!hint.owner.empty() && hint.epoch > row.epoch && row.owner != self_)
    return {hint.owner, hint.epoch};
  return {row.owner, row.epoch};
}

bool cluster_router::is_local(const std::string& ref) const {
  auto* ctx = ctx_.load();
  if (is_client_ref(ref)) {
    auto node = client_node(ref);
    return node.empty() || node == self_;
  }
  return ctx && owns(shard_of(ref, ctx->shard_count()));
}

peer_ptr cluster_router::peer_of(const std::string& node) const {
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto i = peers_.find(node);
  return i == peers_.end() ? nullptr : i->second;
}

caf::actor cluster_router::gateway_for(const std::string& ref, std::string& node) const {
  auto* ctx = ctx_.load();
  if (!ctx)
    return {};
  {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    auto shard = shard_of(ref, ctx->shard_count());
    if (shard >= rows_.size())
      return {};
    node = rows_[shard].owner;
  }
  auto p = peer_of(node);
  return p ? p->gateway() : caf::actor{};
}

std::vector<peer_ptr> cluster_router::connected_peers() const {
  std::vector<peer_ptr> out;
  std::shared_lock<std::shared_mutex> guard{mtx_};
  for (auto& [node, p] : peers_)
    if (p->outbox.reachable)
      out.push_back(p);
  return out;
}

bool cluster_router::to_peer(const std::string& node, const frame_item& item,
                             const std::string& held_key) {
  auto p = peer_of(node);
  if (!p || !p->outbox.reachable) {
    counters_.held++;
    if (!held_key.empty())
      backlog_.held(node, held_key, steady_ms());
    return false;  // held: the sender keeps it and tries again
  }
  if (!held_key.empty())
    backlog_.sent(node, held_key);
  auto r = p->outbox.push(item);
  counters_.items_out++;
  if (r == peer_outbox::pushed::first)
    caf::anon_send(p->link, flush_atom::value);
  return true;  // a dropped item (buffer full) is resent after its backoff, like a lost one
}

bool cluster_router::route_client(const std::string& to, const caf::message& msg) {
  auto node = client_node(to);
  auto* ctx = ctx_.load();
  if (node.empty() || node == self_)
    return ctx->dir().deliver(to, msg, false);
  frame_item it;
  return to_item(to, msg, it) && to_peer(node, it, {});
}

bool cluster_router::route(const std::string& to, const caf::message& msg, bool activate) {
  auto* ctx = ctx_.load();
  if (!ctx)
    return false;
  if (is_client_ref(to))
    return route_client(to, msg);
  auto shard = shard_of(to, ctx->shard_count());
  shard_row row;
  std::tie(row.owner, row.epoch) = destination(shard);
  if (row.owner == self_)
    return ctx->dir().deliver(to, msg, activate);
  if (row.owner.empty()) {
    counters_.held++;
    return false;
  }
  frame_item it;
  if (!to_item(to, msg, it))
    return true;  // a wake for a shard another node serves: that node's own to do
  it.shard = shard;
  it.epoch = row.epoch;
  // A delivery's identity, for the per-destination backlog while its owner is unreachable.
  std::string key = it.kind == item_kind::deliver ? msg.get_as<envelope_ptr>(1)->id() : "";
  return to_peer(row.owner, it, key);
}

void cluster_router::deliver_local(const frame_item& it, const std::string& from) {
  auto* ctx = ctx_.load();
  auto env = std::make_shared<Envelope>();
  if (!env->ParseFromString(it.payload) || validate_ref(env->receiver())
      || is_client_ref(env->receiver())) {
    counters_.bad_frames++;
    return;
  }
  auto shard = shard_of(env->receiver(), ctx->shard_count());
  uint64_t epoch = 0;
  bool mine = false;
  {
    std::shared_lock<std::shared_mutex> guard{mtx_};
    if (shard < rows_.size()) {
      mine = rows_[shard].owner == self_;
      epoch = rows_[shard].epoch;
    }
  }
  if (!mine) {
    // Its sender's map is stale: tell it who owns the shard now; the envelope stays in the
    // sender's outbox and is resent.
    counters_.moved_out++;
    frame_item moved;
    moved.kind = item_kind::moved;
    moved.to = env->receiver();
    moved.shard = shard;
    moved.epoch = epoch;
    std::shared_lock<std::shared_mutex> guard{mtx_};
    moved.receiver = shard < rows_.size() ? rows_[shard].owner : std::string{};
    guard.unlock();
    to_peer(from, moved, {});
    return;
  }
  if (it.epoch != 0 && it.epoch < epoch) {
    counters_.fenced++;  // sent under an older owner's epoch: fenced (resent under the new)
    return;
  }
  auto receiver = env->receiver();
  ctx->dir().deliver(receiver, caf::make_message(deliver_atom::value, envelope_ptr{env}), true);
}

void cluster_router::accept(const decoded_frame& f) {
  auto* ctx = ctx_.load();
  counters_.frames_in++;
  for (auto& it : f.items) {
    if (it.kind == item_kind::moved) {
      note_moved(it, f.header.from);
      continue;
    }
    if (!ctx || !inbound_.load())
      continue;  // not serving yet (no runtime, or its start-up scan runs): all is resent
    counters_.items_in++;
    switch (it.kind) {
      case item_kind::deliver:
        deliver_local(it, f.header.from);
        break;
      case item_kind::ack:
        if (is_local(it.to))
          ctx->dir().deliver(it.to, caf::make_message(ack_atom::value, it.payload), false);
        break;
      case item_kind::acked:
        if (is_local(it.to))
          ctx->dir().deliver(it.to, caf::make_message(acked_atom::value, it.receiver, it.seq),
                             false);
        break;
      case item_kind::moved:
        SAGAFORGE_UNREACHABLE("moved items are handled before the switch");
    }
  }
}

void cluster_router::note_moved(const frame_item& it, const std::string& from) {
  counters_.moved_in++;
  spdlog::debug("cluster: {} says {} (shard {}) is served by {} at epoch {}", from, it.to,
                it.shard, it.receiver, it.epoch);
  // Safe to follow before our map confirms it: the named owner takes an envelope only if its
  // own confirmed map gives it the shard at that epoch, else it answers `moved` in turn.
  std::unique_lock<std::shared_mutex> guard{mtx_};
  if (it.shard < rows_.size() && !it.receiver.empty() && it.receiver != self_
      && it.epoch > rows_[it.shard].epoch && it.epoch > hints_[it.shard].epoch)
    hints_[it.shard] = shard_row{it.receiver, it.epoch};
}

void cluster_router::set_own_gateway(caf::actor gw) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  own_gateway_ = std::move(gw);
}

void cluster_router::hello(const std::string& node, const caf::actor& gateway) {
  if (node.empty() || node == self_ || !gateway)
    return;
  std::unique_lock<std::shared_mutex> guard{mtx_};
  hellos_[node] = gateway;  // kept for a link made later (the hello came before the map)
  if (auto i = peers_.find(node); i != peers_.end() && i->second->link)
    adopt_peer_gateway(i->second->link, gateway);
}

void cluster_router::add_peer(const member_info& m) {
  auto p = std::make_shared<peer>(m.node, peer_buffer_bytes_);
  auto opts = link_defaults_;
  opts.host = m.host;
  opts.port = m.port;
  opts.dials = self_ < m.node;
  opts.own_gateway = own_gateway_;
  p->link = spawn_peer_link(sys_, p, opts, connector_);
  if (auto h = hellos_.find(m.node); !opts.dials && h != hellos_.end())
    adopt_peer_gateway(p->link, h->second);
  peers_[m.node] = std::move(p);
}

void cluster_router::update(const cluster_map& map) {
  std::unique_lock<std::shared_mutex> guard{mtx_};
  rows_.resize(map.shards.size());
  hints_.resize(map.shards.size());
  for (size_t s = 0; s < map.shards.size(); ++s)
    rows_[s] = shard_row{map.shards[s].owner, map.shards[s].epoch};
  for (auto& [node, m] : map.members) {
    if (node == self_ || m.port == 0)
      continue;
    auto i = peers_.find(node);
    if (i == peers_.end() || !i->second->link) {
      if (i != peers_.end())
        peers_.erase(i);
      add_peer(m);
    } else {
      relocate_peer_link(i->second->link, m.host, m.port);
    }
  }
  for (auto& [node, p] : peers_) {
    if (map.members.count(node) || !p->link)
      continue;
    // No longer a member (its lease ended): stop dialling until it registers again; sends
    // to it are held meanwhile.
    p->outbox.reachable = false;
    p->set_state(map.roster.count(node) ? "down" : "left");
    caf::anon_send_exit(p->link, caf::exit_reason::user_shutdown);
    p->link = caf::actor{};
  }
  revision_.store(map.revision);
  if (auto* ctx = ctx_.load())
    for (uint32_t s = 0; s < rows_.size() && s < ctx->shard_count(); ++s)
      ctx->dir().set_serving(s, rows_[s].owner == self_, rows_[s].epoch);
}

std::vector<peer_status> cluster_router::peers() const {
  std::vector<peer_status> out;
  std::shared_lock<std::shared_mutex> guard{mtx_};
  auto now = steady_ms();
  for (auto& [node, p] : peers_) {
    auto held = backlog_.read(node, now);
    out.push_back(peer_status{node, p->state(), p->outbox.bytes(), p->outbox.items_sent.load(),
                              p->outbox.items_dropped.load(), p->outbox.frames_sent.load(),
                              p->outbox.bytes_sent.load(), held.envelopes, held.attempts,
                              held.saturated});
  }
  return out;
}

// -- adapters --------------------------------------------------------------------

namespace {

class router_adapter : public router {
public:
  explicit router_adapter(std::shared_ptr<cluster_router> r) : r_(std::move(r)) {}
  bool route(const std::string& to, const caf::message& msg, bool activate) override {
    return r_->route(to, msg, activate);
  }

private:
  std::shared_ptr<cluster_router> r_;
};

class cluster_remote_reads : public remote_reads {
public:
  cluster_remote_reads(caf::actor_system& sys, std::shared_ptr<cluster_router> r)
    : sys_(sys), r_(std::move(r)) {}

  bool is_local(const std::string& ref) const override {
    return r_->is_local(ref);
  }

  caf::expected<EntityReport> inspect(const std::string& ref,
                                      std::chrono::milliseconds timeout) override {
    std::string node;
    auto gw = r_->gateway_for(ref, node);
    if (!gw)
      return make_runtime_error(runtime_errc::overloaded,
                                ref + " is served by node '" + node
                                  + "', which is unreachable now");
    caf::scoped_actor self{sys_};
    caf::expected<EntityReport> out{make_runtime_error(runtime_errc::timeout, ref)};
    // A report of another ref: the entity passivated meanwhile and its actor serves another
    // (directory::recycle); ask again, as node_runtime::inspect does locally.
    for (int attempt = 0; attempt < 8; ++attempt) {
      bool moved = false;
      self->request(gw, timeout, inspect_atom::value, ref)
        .receive(
          [&](const std::string& bytes) {
            EntityReport rep;
            if (!rep.ParseFromString(bytes))
              out = make_runtime_error(runtime_errc::invalid_envelope, "report does not parse");
            else if (rep.ref() != ref)
              moved = true;
            else
              out = std::move(rep);
          },
          [&](caf::error& err) { out = std::move(err); });
      if (!moved)
        return out;
    }
    return make_runtime_error(runtime_errc::timeout, ref + " kept passivating while inspected");
  }

  caf::actor inspector_for(const std::string& ref) const override {
    std::string node;
    return r_->gateway_for(ref, node);
  }

  std::vector<std::string> known_refs(const std::string& type) override {
    std::vector<std::string> out;
    caf::scoped_actor self{sys_};
    for (auto& p : r_->connected_peers()) {
      auto gw = p->gateway();
      if (!gw)
        continue;
      self->request(gw, std::chrono::seconds{10}, known_atom::value, type)
        .receive([&](std::vector<std::string>& refs) {
          out.insert(out.end(), refs.begin(), refs.end());
        },
                 [&](caf::error& err) {
                   spdlog::warn("cluster: cannot list {} on {}: {}", type, p->node,
                                caf::to_string(err));
                 });
    }
    return out;
  }

private:
  caf::actor_system& sys_;
  std::shared_ptr<cluster_router> r_;
};

} // namespace

std::unique_ptr<router> make_router_adapter(std::shared_ptr<cluster_router> r) {
  return std::make_unique<router_adapter>(std::move(r));
}

std::shared_ptr<remote_reads> make_remote_reads(caf::actor_system& sys,
                                                std::shared_ptr<cluster_router> r) {
  return std::make_shared<cluster_remote_reads>(sys, std::move(r));
}

} // namespace sagaforge::cluster
