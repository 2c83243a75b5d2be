// Cluster commands: nodes (members, their states, shards, and the link from this node to
// each with the backlog waiting for it) and shards (the map this node has confirmed, by
// owner). Both read GET /admin/v1/cluster of the node the console talks to: every member
// answers for the whole cluster, also during an etcd outage (from its last confirmed map).
// Entity commands need no routing of their own: a member serves a ref's report from the node
// that owns it (docs/cluster.md, "Reads").
#include "console/commands.hpp"

#include <map>

namespace sagaforge::console {

namespace {

/// The cluster document, or the reason there is none (a single node).
bool cluster_doc(session& s, json& doc, outcome& o) {
  auto r = s.node->get("/admin/v1/cluster");
  if (!r.ok()) {
    o = failed(r);
    return false;
  }
  if (!r.body.value("clustered", false)) {
    o = answer(r.body, "this node runs alone (no cluster): it owns every shard\n");
    return false;
  }
  doc = std::move(r.body);
  return true;
}

std::string state_text(const render_style& st, const std::string& state) {
  if (state == "up")
    return green(st, state);
  if (state == "down" || state == "unreachable")
    return red(st, state);
  return state;
}

outcome nodes(session& s, const parsed_args&) {
  json doc;
  outcome o;
  if (!cluster_doc(s, doc, o))
    return o;
  std::map<std::string, json> link;
  for (auto& p : doc.value("peers", json::array()))
    link[cell(p["node"])] = p;
  table t{{"NODE", "STATE", "ROSTER", "SHARDS", "ADDRESS", "LINK", "HELD", "BUFFERED", "SENT"}};
  json items = json::array();
  auto self = cell(doc["self"]);
  for (auto& m : doc.value("members", json::array())) {
    auto node = cell(m["node"]);
    json item = m;
    std::string link_state = node == self ? "(this node)" : "-";
    std::string held = "-", buffered = "-", sent = "-";
    if (auto i = link.find(node); i != link.end()) {
      auto& p = i->second;
      item["link"] = p;
      link_state = state_text(s.style, cell(p["state"]));
      held = cell(p["held_envelopes"]) + (p.value("held_saturated", false) ? "+" : "");
      buffered = cell(p["buffered_bytes"]) + " B";
      sent = cell(p["items_sent"]) + " items / " + cell(p["frames_sent"]) + " frames";
    }
    items.push_back(item);
    t.row({node, state_text(s.style, cell(m["state"])), cell(m["roster_status"]),
           cell(m["shards"]), cell(m["address"]), link_state, held, buffered, sent});
  }
  std::string head = "cluster '" + cell(doc["cluster"]) + "' seen from " + self + " ("
                     + cell(doc["role"]) + ", map revision " + cell(doc["map_revision"])
                     + (doc.value("registered", false) ? "" : ", NOT REGISTERED: etcd unreachable?")
                     + ")\n";
  return answer({{"self", doc["self"]}, {"cluster", doc["cluster"]},
                 {"map_revision", doc["map_revision"]}, {"registered", doc["registered"]},
                 {"items", items}, {"counters", doc["counters"]}},
                head + t.str(s.style));
}

outcome shards(session& s, const parsed_args& a) {
  json doc;
  outcome o;
  if (!cluster_doc(s, doc, o))
    return o;
  auto only = a.get("--node", "");
  json items = json::array();
  table t{{"SHARD", "OWNER", "EPOCH", "MOVING"}};
  std::map<std::string, int> per_owner;
  for (auto& r : doc.value("shards", json::array())) {
    auto owner = cell(r["owner"]);
    ++per_owner[owner];
    if (!only.empty() && owner != only)
      continue;
    items.push_back(r);
    t.row({cell(r["shard"]), owner, cell(r["epoch"]), r.value("moving", false) ? "yes" : ""});
  }
  if (!only.empty() && items.empty() && !per_owner.count(only))
    return usage_error("shards: no shard is owned by '" + only.substr(0, 40) + "'");
  std::string summary;
  for (auto& [owner, n] : per_owner)
    summary += (summary.empty() ? "" : ", ") + owner + " " + std::to_string(n);
  return answer({{"shard_count", doc["shard_count"]}, {"map_revision", doc["map_revision"]},
                 {"items", items}},
                t.str(s.style) + cell(doc["shard_count"]) + " shards: " + summary + "\n");
}

}  // namespace

void add_cluster_commands(std::vector<command>& out) {
  out.push_back({"nodes", "nodes",
                 "cluster members: state, roster, shards, the link to each and what waits for it",
                 {}, 0, 0, true, nodes});
  out.push_back({"shards", "shards [--node NODE]", "the shard map this node has confirmed",
                 {{"--node"}, {}}, 0, 0, true, shards});
}

}  // namespace sagaforge::console
