// cluster_member::view_provider: the faces' cluster_view (runtime/cluster_view.hpp) assembled
// from the control plane's confirmed map (roster, live members, shard rows) and the router's
// peers and counters. Reads only what this node already holds: no call to etcd or a peer.
#include "cluster/transport/cluster_member.hpp"

namespace sagaforge::cluster {

namespace {

cluster_view make_view(const std::string& self, const std::string& name, bool member,
                       control_plane& control, cluster_router& router) {
  cluster_view v;
  v.self = self;
  v.name = name;
  v.role = member ? "member" : "client";
  v.registered = control.registered();
  auto map = control.current();
  v.map_revision = map.revision;
  v.shard_count = map.shard_count;
  std::map<std::string, uint32_t> owned;
  for (uint32_t i = 0; i < map.shards.size(); ++i) {
    auto& row = map.shards[i];
    v.shards.push_back({i, row.owner, row.epoch, !row.move.empty()});
    ++owned[row.owner];
  }
  std::map<std::string, cluster_view::member> rows;  // by node id: roster and live ones
  for (auto& [node, r] : map.roster) {
    auto& m = rows[node];
    m.node = node;
    m.roster_status = r.status;
  }
  for (auto& [node, live] : map.members) {
    auto& m = rows[node];
    m.node = node;
    m.address = live.host + ":" + std::to_string(live.port);
    m.http_port = live.http_port;
    m.incarnation = live.incarnation;
  }
  for (auto& [node, m] : rows) {
    m.state = map.state_of(node);
    m.shards = owned.count(node) ? owned[node] : 0;
    v.members.push_back(m);
  }
  for (auto& p : router.peers())
    v.peers.push_back({p.node, p.state, p.buffered_bytes, p.items_sent, p.items_dropped,
                       p.frames_sent, p.bytes_sent, p.held_envelopes, p.held_attempts,
                       p.held_saturated});
  auto& c = router.counters();
  v.items_in = c.items_in.load();
  v.frames_in = c.frames_in.load();
  v.bad_frames = c.bad_frames.load();
  v.moved_in = c.moved_in.load();
  v.moved_out = c.moved_out.load();
  v.fenced = c.fenced.load();
  v.held = c.held.load();
  v.refused_hellos = c.refused_hellos.load();
  v.unproven = c.unproven.load();
  return v;
}

} // namespace

cluster_view_provider cluster_member::view_provider() const {
  auto control = control_;
  auto router = router_;
  return [self = node_id_, name = cluster_name_, member = member_, control, router] {
    return make_view(self, name, member, *control, *router);
  };
}

} // namespace sagaforge::cluster
