// GET /admin/v1/cluster (read role): what this node knows of its cluster — members with
// their states, the shard map it has confirmed, its peer links with the backlog waiting for
// each — from the cluster_view (runtime/cluster_view.hpp). A single node answers
// {"clustered": false}. Reads only local state: it answers during an etcd outage too.
#include "http/routes.hpp"

namespace sagaforge::http {

namespace {

json view_json(const cluster_view& v) {
  json members = json::array();
  for (auto& m : v.members)
    members.push_back({{"node", m.node},
                       {"state", m.state},
                       {"roster_status", m.roster_status},
                       {"address", m.address},
                       {"http_port", m.http_port},
                       {"incarnation", m.incarnation},
                       {"shards", m.shards}});
  json shards = json::array();
  for (auto& s : v.shards)
    shards.push_back(
      {{"shard", s.index}, {"owner", s.owner}, {"epoch", s.epoch}, {"moving", s.moving}});
  json peers = json::array();
  for (auto& p : v.peers)
    peers.push_back({{"node", p.node},
                     {"state", p.state},
                     {"buffered_bytes", p.buffered_bytes},
                     {"held_envelopes", p.held_envelopes},
                     {"held_attempts", p.held_attempts},
                     {"held_saturated", p.held_saturated},
                     {"items_sent", p.items_sent},
                     {"items_dropped", p.items_dropped},
                     {"frames_sent", p.frames_sent},
                     {"bytes_sent", p.bytes_sent}});
  return {{"clustered", true},
          {"self", v.self},
          {"cluster", v.name},
          {"role", v.role},
          {"registered", v.registered},
          {"map_revision", v.map_revision},
          {"shard_count", v.shard_count},
          {"members", members},
          {"shards", shards},
          {"peers", peers},
          {"counters",
           {{"items_in", v.items_in},
            {"frames_in", v.frames_in},
            {"bad_frames", v.bad_frames},
            {"moved_in", v.moved_in},
            {"moved_out", v.moved_out},
            {"fenced", v.fenced},
            {"held", v.held},
            {"refused_hellos", v.refused_hellos},
            {"unproven", v.unproven}}}};
}

}  // namespace

void add_admin_cluster_routes(route_table& t, face_context& fc) {
  auto* f = &fc;
  t.add("GET", "/admin/v1/cluster", "/admin/v1/cluster", area::admin_read,
        [f](const httplib::Request&, httplib::Response& res) {
          if (!f->cluster)
            return send_json(res, 200, {{"clustered", false}});
          send_json(res, 200, view_json(f->cluster()));
        });
}

}  // namespace sagaforge::http
