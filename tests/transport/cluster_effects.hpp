// cluster_effects: what a local cluster (cluster/local) shows of anything having happened to
// it, read from outside as an operator would: each member's admin node report (steps,
// commits, activations, dead letters, ...) and a few metrics, and etcd's revision and every
// key with its mod revision. Two snapshots equal field by field mean that nothing between
// them ran a step, touched an entity, or wrote to the control plane.
#pragma once

#include <chrono>
#include <map>
#include <string>
#include <thread>
#include <vector>

#include <nlohmann/json.hpp>

#include "tests/support/shell_run.hpp"

namespace sagaforge::testing {

/// Field name (e.g. "n1 counters.steps", "etcd /sagaforge/local/members/n1") -> value text;
/// an unreadable source shows as a field "<source> unreadable" holding what it answered.
using cluster_effects = std::map<std::string, std::string>;

struct cluster_view {
  std::vector<std::pair<std::string, int>> members;  ///< node id, HTTP port
  int etcd_port = 0;
  std::string certs;       ///< a cluster certificate folder (ca.pem, n1.pem, n1.key)
  std::string read_token;  ///< sagaforge.http.read-token of the members

  cluster_effects snapshot() const {
    cluster_effects out;
    for (auto& [id, port] : members) {
      read_node_report(id, port, out);
      read_metrics(id, port, out);
    }
    read_etcd(out);
    return out;
  }

  /// A snapshot once two taken `gap` apart agree (start-up's last acks may still be landing),
  /// or the last one after `limit`.
  cluster_effects settled(std::chrono::milliseconds gap = std::chrono::milliseconds{1000},
                          std::chrono::seconds limit = std::chrono::seconds{30}) const {
    auto deadline = std::chrono::steady_clock::now() + limit;
    auto last = snapshot();
    while (std::chrono::steady_clock::now() < deadline) {
      std::this_thread::sleep_for(gap);
      auto now = snapshot();
      if (now == last)
        return now;
      last = std::move(now);
    }
    return last;
  }

  /// etcd's keys, decoded, read with n1's certificate (nothing when unreadable).
  std::vector<std::string> etcd_keys() const {
    std::vector<std::string> keys;
    auto j = etcd_range();
    if (j.is_object() && j.contains("kvs"))
      for (auto& kv : j["kvs"])
        keys.push_back(base64_decode(kv.value("key", "")));
    return keys;
  }

  static std::string base64_decode(const std::string& in) {
    static const std::string abc =
      "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    std::string out;
    unsigned buf = 0;
    int bits = 0;
    for (char c : in) {
      auto v = abc.find(c);
      if (v == std::string::npos)
        break;  // '=' padding ends the text
      buf = (buf << 6) | static_cast<unsigned>(v);
      bits += 6;
      if (bits >= 8) {
        bits -= 8;
        out.push_back(static_cast<char>((buf >> bits) & 0xFF));
      }
    }
    return out;
  }

private:
  static void flatten(const std::string& prefix, const nlohmann::json& j, cluster_effects& out) {
    for (auto& [k, v] : j.items())
      if (v.is_object())
        flatten(prefix + k + ".", v, out);
      else
        out[prefix + k] = v.dump();
  }

  void read_node_report(const std::string& id, int port, cluster_effects& out) const {
    std::string body;
    shell_run("curl -s --max-time 10 -H 'Authorization: Bearer " + read_token
                + "' http://127.0.0.1:" + std::to_string(port) + "/admin/v1/node",
              body);
    auto j = nlohmann::json::parse(body, nullptr, false);
    if (!j.is_object()) {
      out[id + " /admin/v1/node unreadable"] = body;
      return;
    }
    // Every counter of the report, but not its clock or start-up timing.
    for (auto* part : {"commit", "counters", "entities"})
      if (j.contains(part))
        flatten(id + " " + part + ".", j[part], out);
    out[id + " healthy"] = j.value("healthy", nlohmann::json{}).dump();
    out[id + " ready"] = j.value("ready", nlohmann::json{}).dump();
  }

  void read_metrics(const std::string& id, int port, cluster_effects& out) const {
    std::string body;
    shell_run("curl -s --max-time 10 http://127.0.0.1:" + std::to_string(port) + "/metrics",
              body);
    // The families a refused peer could move that the node report does not show.
    static const char* families[] = {"sagaforge_invalid_envelopes_total ",
                                     "sagaforge_deliveries_dropped_total ",
                                     "sagaforge_mailbox_waiting_messages "};
    for (std::string f : families) {
      auto at = body.find("\n" + f);
      auto value = at == std::string::npos
                     ? std::string{"absent"}
                     : body.substr(at + 1 + f.size(), body.find('\n', at + 1) - at - 1 - f.size());
      out[id + " " + f.substr(0, f.size() - 1)] = value;
    }
  }

  nlohmann::json etcd_range() const {
    // key = range_end = "\0" (base64 "AA=="): every key.
    std::string body;
    shell_run("curl -s --max-time 10 --cacert " + certs + "/ca.pem --cert " + certs
                + "/n1.pem --key " + certs + "/n1.key -X POST https://127.0.0.1:"
                + std::to_string(etcd_port)
                + "/v3/kv/range -d '{\"key\":\"AA==\",\"range_end\":\"AA==\"}'",
              body);
    auto j = nlohmann::json::parse(body, nullptr, false);
    return j.is_object() ? j : nlohmann::json{{"unreadable", body}};
  }

  void read_etcd(cluster_effects& out) const {
    auto j = etcd_range();
    if (!j.contains("header")) {
      out["etcd unreadable"] = j.dump();
      return;
    }
    out["etcd revision"] = j["header"].value("revision", "");
    if (j.contains("kvs"))
      for (auto& kv : j["kvs"])
        out["etcd " + base64_decode(kv.value("key", ""))] =
          kv.value("mod_revision", "") + " " + kv.value("value", "");
  }
};

} // namespace sagaforge::testing
