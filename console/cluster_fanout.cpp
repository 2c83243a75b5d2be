// See cluster_fanout.hpp. Members are asked one after another: the console is single-
// threaded, a member answers a list in milliseconds, and an unreachable one costs its
// connection timeout (3 s), which the partial note then explains.
#include "console/cluster_fanout.hpp"

namespace sagaforge::console {

namespace {

/// http(s)://host:http_port of a member whose data-plane address is host:port; "" if none.
std::string member_url(const std::string& scheme, const json& m) {
  auto addr = m.value("address", "");
  auto port = m.value("http_port", 0);
  auto colon = addr.rfind(':');
  if (port <= 0 || colon == std::string::npos || colon == 0)
    return "";
  return scheme + "://" + addr.substr(0, colon) + ":" + std::to_string(port);
}

void take_items(gathered& g, const json& body, const std::string& node) {
  auto items = body.is_object() ? body.value("items", json::array()) : json::array();
  for (auto& i : items) {
    json item = i;
    if (g.clustered && item.is_object())
      item["node"] = node;
    g.items.push_back(std::move(item));
  }
}

}  // namespace

bool gather(session& s, const std::string& path, bool local, gathered& g, outcome& o) {
  json view;
  if (!local) {
    auto c = s.node->get("/admin/v1/cluster");
    if (!c.ok()) {
      o = failed(c);
      return false;
    }
    view = c.body;
  }
  auto own = s.node->get(path);
  if (!own.ok()) {
    o = failed(own);
    return false;
  }
  g.first_body = own.body;
  if (local || !view.is_object() || !view.value("clustered", false)) {
    g.bodies.push_back(own.body);
    take_items(g, own.body, "");
    return true;
  }
  g.clustered = true;
  auto self = view.value("self", "");
  auto scheme = s.node->url().rfind("https", 0) == 0 ? "https" : "http";
  for (auto& m : view.value("members", json::array())) {
    auto node = m.value("node", "");
    json entry = {{"node", node}};
    if (node == self) {
      take_items(g, own.body, node);
      g.bodies.push_back(own.body);
      entry["ok"] = true;
      entry["count"] = own.body.value("items", json::array()).size();
      g.members.push_back(entry);
      continue;
    }
    std::string why;
    auto url = member_url(scheme, m);
    std::unique_ptr<admin_client> peer;
    if (m.value("state", "") != "up")
      why = "member is " + m.value("state", "unknown");
    else if (url.empty())
      why = "member has no HTTP face";
    else
      peer = s.node->sibling(url, why);
    reply r;
    if (peer) {
      r = peer->get(path);
      if (!r.ok())
        why = r.error;
    }
    if (!peer || !r.ok()) {
      // A client node serves no shard: without an HTTP face, or gone, it holds nothing a
      // list would miss. A member with a roster entry does.
      bool serves = !m.value("roster_status", "").empty();
      g.partial = g.partial || serves || peer;
      entry["ok"] = false;
      entry["error"] = why;
      g.members.push_back(entry);
      continue;
    }
    take_items(g, r.body, node);
    g.bodies.push_back(r.body);
    entry["ok"] = true;
    entry["count"] = r.body.value("items", json::array()).size();
    g.members.push_back(entry);
  }
  return true;
}

std::string partial_note(const gathered& g) {
  std::string note;
  for (auto& m : g.members)
    if (!m.value("ok", false))
      note += "warning: " + m.value("node", "") + " not in this list: " + m.value("error", "")
              + "\n";
  return note;
}

json gathered_doc(const gathered& g, json items) {
  json doc = g.first_body.is_object() ? g.first_body : json::object();
  doc["items"] = std::move(items);
  if (g.clustered) {
    doc["members"] = g.members;
    doc["partial"] = g.partial;
  }
  return doc;
}

}  // namespace sagaforge::console
