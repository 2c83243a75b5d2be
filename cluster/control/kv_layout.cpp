// The control plane's keys and values (see kv_layout.hpp).
#include "cluster/control/kv_layout.hpp"

#include <cstdio>
#include <cstdlib>

#include <nlohmann/json.hpp>

namespace sagaforge::cluster::layout {

namespace {

using json = nlohmann::json;

constexpr int protocol_version = 1;  // members/<node>.version: what a node speaks

json parse(const std::string& text) {
  auto j = json::parse(text, nullptr, false);
  return j.is_object() ? j : json{};
}

bool has_prefix(const std::string& s, const std::string& p) {
  return s.compare(0, p.size(), p) == 0;
}

json shard_json(const shard_entry& s) {
  json j = {{"owner", s.owner}, {"epoch", s.epoch}};
  if (!s.move.empty()) {
    auto m = json::parse(s.move, nullptr, false);
    j["move"] = m.is_discarded() ? json(s.move) : m;
  }
  return j;
}

shard_entry shard_from(const json& j) {
  shard_entry s;
  s.owner = j.value("owner", "");
  s.epoch = j.value("epoch", uint64_t{0});
  if (auto m = j.find("move"); m != j.end() && !m->is_null())
    s.move = m->is_string() ? m->get<std::string>() : m->dump();
  return s;
}

} // namespace

std::string root(const std::string& cluster) {
  return "/sagaforge/" + cluster + "/";
}

std::string meta_key(const std::string& root) {
  return root + "meta";
}

std::string roster_key(const std::string& root, const std::string& node) {
  return root + "roster/" + node;
}

std::string member_key(const std::string& root, const std::string& node) {
  return root + "members/" + node;
}

std::string shard_key(const std::string& root, uint32_t shard) {
  char buf[16];
  std::snprintf(buf, sizeof buf, "%04u", shard);
  return root + "shards/" + buf;
}

std::string encode_meta(uint32_t shard_count, int64_t created_ms) {
  return json{{"shard_count", shard_count}, {"created_ms", created_ms}}.dump();
}

std::string encode_roster(const roster_entry& r) {
  return json{{"status", r.status}, {"store_id", r.store_id}}.dump();
}

std::string encode_member(const member_info& m, int64_t seen_rev) {
  return json{{"addr", m.host},
              {"port", m.port},
              {"http_port", m.http_port},
              {"incarnation", m.incarnation},
              {"state", m.state},
              {"seen_rev", seen_rev},
              {"version", protocol_version}}
    .dump();
}

std::string encode_shard(const shard_entry& s) {
  return shard_json(s).dump();
}

std::string encode_shard_row(const shard_entry& s) {
  auto j = shard_json(s);
  j["mod_revision"] = s.mod_revision;
  return j.dump();
}

std::optional<shard_entry> decode_shard_row(const std::string& text) {
  auto j = parse(text);
  if (j.empty())
    return std::nullopt;
  auto s = shard_from(j);
  s.mod_revision = j.value("mod_revision", int64_t{0});
  return s;
}

std::optional<roster_entry> decode_roster(const std::string& node, const std::string& value) {
  auto j = parse(value);
  if (j.empty())
    return std::nullopt;
  return roster_entry{node, j.value("status", "active"), j.value("store_id", "")};
}

std::optional<shard_entry> decode_shard(const kv_entry& e) {
  auto j = parse(e.value);
  if (j.empty())
    return std::nullopt;
  auto s = shard_from(j);
  s.mod_revision = e.mod_revision;
  return s;
}

// -- map_builder --

void map_builder::reset(const kv_range& snapshot) {
  map_ = cluster_map{};
  key_revs_.clear();
  map_.revision = snapshot.revision;
  // meta first: it sizes the shard table.
  for (auto& e : snapshot.kvs)
    if (e.key == meta_key(root_))
      apply_put("meta", e);
  for (auto& e : snapshot.kvs) {
    if (has_prefix(e.key, root_))
      apply_put(e.key.substr(root_.size()), e);
    key_revs_[e.key] = e.mod_revision;
  }
}

bool map_builder::apply(const kv_event& ev) {
  auto& key = ev.kv.key;
  if (!has_prefix(key, root_))
    return false;
  auto& last = key_revs_[key];
  if (ev.kv.mod_revision <= last)
    return false;  // a late or repeated event: a newer one was applied already
  last = ev.kv.mod_revision;
  auto rel = key.substr(root_.size());
  return ev.deleted ? apply_delete(rel) : apply_put(rel, ev.kv);
}

bool map_builder::apply_put(const std::string& rel, const kv_entry& e) {
  auto j = parse(e.value);
  if (rel == "meta") {
    auto n = j.value("shard_count", uint32_t{0});
    map_.shard_count = n;
    if (map_.shards.size() < n)
      map_.shards.resize(n);
    return true;
  }
  if (has_prefix(rel, "roster/")) {
    auto node = rel.substr(7);
    if (auto r = decode_roster(node, e.value))
      map_.roster[node] = *r;
    return true;
  }
  if (has_prefix(rel, "members/")) {
    member_info m;
    m.node = rel.substr(8);
    m.host = j.value("addr", "");
    m.port = j.value("port", uint16_t{0});
    m.http_port = j.value("http_port", uint16_t{0});
    m.incarnation = j.value("incarnation", int64_t{0});
    m.state = j.value("state", "joining");
    map_.members[m.node] = m;
    return true;
  }
  if (has_prefix(rel, "shards/")) {
    auto digits = rel.substr(7);
    char* end = nullptr;
    auto idx = static_cast<uint32_t>(std::strtoul(digits.c_str(), &end, 10));
    auto s = decode_shard(e);
    if (digits.empty() || *end != '\0' || !s || idx >= 1u << 20)
      return false;
    if (map_.shards.size() <= idx)
      map_.shards.resize(idx + 1);
    map_.shards[idx] = *s;
    return true;
  }
  return false;  // coordinator and later keys: not part of the map
}

bool map_builder::apply_delete(const std::string& rel) {
  if (has_prefix(rel, "roster/"))
    return map_.roster.erase(rel.substr(7)) > 0;
  if (has_prefix(rel, "members/"))
    return map_.members.erase(rel.substr(8)) > 0;
  return false;  // meta and shard rows are never deleted by the control plane
}

} // namespace sagaforge::cluster::layout
