// The etcd gateway's wire encoding and connection pool (see etcd_gateway.hpp).
#include "cluster/control/etcd_gateway.hpp"

#include <chrono>
#include <cstring>

#include "runtime/errors.hpp"

namespace sagaforge::cluster::etcd_detail {

namespace {

constexpr size_t idle_clients_max = 4;

} // namespace

// -- encoding: keys and values are base64, int64 fields are strings --

constexpr char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

std::string b64(const std::string& in) {
  std::string out;
  out.reserve((in.size() + 2) / 3 * 4);
  size_t i = 0;
  for (; i + 2 < in.size(); i += 3) {
    uint32_t v = (uint8_t(in[i]) << 16) | (uint8_t(in[i + 1]) << 8) | uint8_t(in[i + 2]);
    for (int s = 18; s >= 0; s -= 6)
      out += b64_chars[(v >> s) & 63];
  }
  if (i < in.size()) {
    uint32_t v = uint8_t(in[i]) << 16;
    if (i + 1 < in.size())
      v |= uint8_t(in[i + 1]) << 8;
    out += b64_chars[(v >> 18) & 63];
    out += b64_chars[(v >> 12) & 63];
    out += i + 1 < in.size() ? b64_chars[(v >> 6) & 63] : '=';
    out += '=';
  }
  return out;
}

std::string unb64(const std::string& in) {
  std::string out;
  uint32_t v = 0;
  int bits = 0;
  for (char c : in) {
    auto p = std::strchr(b64_chars, c);
    if (c == '=' || c == '\0' || p == nullptr)
      continue;
    v = (v << 6) | static_cast<uint32_t>(p - b64_chars);
    bits += 6;
    if (bits >= 8) {
      bits -= 8;
      out += static_cast<char>((v >> bits) & 0xff);
    }
  }
  return out;
}

/// The smallest key after every key that starts with `prefix` (etcd's range_end).
std::string prefix_end(std::string prefix) {
  while (!prefix.empty() && static_cast<uint8_t>(prefix.back()) == 0xff)
    prefix.pop_back();
  if (!prefix.empty())
    prefix.back() = static_cast<char>(prefix.back() + 1);
  return prefix;
}

/// An int64 field: etcd sends strings, accepts both, and leaves zeros out.
int64_t num(const json& j, const char* field) {
  auto i = j.find(field);
  if (i == j.end() || i->is_null())
    return 0;
  if (i->is_string())
    return std::stoll(i->get<std::string>());
  return i->get<int64_t>();
}

kv_entry to_entry(const json& j) {
  kv_entry e;
  e.key = unb64(j.value("key", ""));
  e.value = unb64(j.value("value", ""));
  e.create_revision = num(j, "create_revision");
  e.mod_revision = num(j, "mod_revision");
  e.lease = num(j, "lease");
  return e;
}

kv_range to_range(const json& j) {
  kv_range out;
  out.revision = num(j.value("header", json::object()), "revision");
  for (auto& k : j.value("kvs", json::array()))
    out.kvs.push_back(to_entry(k));
  return out;
}

json op_json(const kv_op& op) {
  switch (op.type) {
    case kv_op::kind::put: {
      json p = {{"key", b64(op.key)}, {"value", b64(op.value)}};
      if (op.lease != 0)
        p["lease"] = std::to_string(op.lease);
      return {{"request_put", p}};
    }
    case kv_op::kind::del:
      return {{"request_delete_range", {{"key", b64(op.key)}}}};
    case kv_op::kind::get:
      break;
  }
  return {{"request_range", {{"key", b64(op.key)}}}};
}

json compare_json(const kv_compare& c) {
  json j = {{"key", b64(c.key)}, {"result", "EQUAL"}};
  auto v = std::to_string(c.value);
  switch (c.what) {
    case kv_compare::field::mod_revision: j["target"] = "MOD"; j["mod_revision"] = v; break;
    case kv_compare::field::create_revision: j["target"] = "CREATE"; j["create_revision"] = v; break;
    case kv_compare::field::lease: j["target"] = "LEASE"; j["lease"] = v; break;
  }
  return j;
}

// -- the connection --

std::unique_ptr<httplib::Client> etcd_conn::make_client(int64_t read_timeout_ms) const {
  std::unique_ptr<httplib::Client> c;
  if (opts.tls_certificate.empty())
    c = std::make_unique<httplib::Client>(opts.endpoint);
  else
    c = std::make_unique<httplib::Client>(opts.endpoint, opts.tls_certificate, opts.tls_key);
  if (!opts.tls_ca.empty()) {
    c->set_ca_cert_path(opts.tls_ca);
    c->enable_server_certificate_verification(true);
  }
  c->set_keep_alive(true);
  c->set_tcp_nodelay(true);  // Nagle + delayed ACK: 44 ms per request on loopback
  c->set_connection_timeout(std::chrono::milliseconds(opts.connect_timeout_ms));
  c->set_read_timeout(std::chrono::milliseconds(read_timeout_ms));
  c->set_write_timeout(std::chrono::milliseconds(opts.request_timeout_ms));
  return c;
}

caf::expected<json> etcd_conn::call(const std::string& path, const json& body) {
  std::unique_ptr<httplib::Client> c;
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (!idle_.empty()) {
      c = std::move(idle_.back());
      idle_.pop_back();
    }
  }
  if (!c)
    c = make_client(opts.request_timeout_ms);
  auto res = c->Post(path, body.dump(), "application/json");
  if (!res)
    return make_runtime_error(runtime_errc::timeout, label + ": " + path + ": "
                                                       + httplib::to_string(res.error()));
  json answer = json::parse(res->body, nullptr, false);
  {
    std::lock_guard<std::mutex> guard{mtx_};
    if (idle_.size() < idle_clients_max)
      idle_.push_back(std::move(c));
  }
  if (answer.is_discarded() || !answer.is_object())
    return make_runtime_error(runtime_errc::store_failed,
                              label + ": " + path + ": HTTP " + std::to_string(res->status)
                                + ", unreadable answer: " + res->body.substr(0, 200));
  if (res->status != 200 || answer.contains("error")) {
    auto code = answer.value("code", 0);
    auto msg = answer.value("message", answer.value("error", json{}).dump());
    auto what = label + ": " + path + ": HTTP " + std::to_string(res->status) + ": " + msg;
    if (code == 5)  // gRPC NOT_FOUND: an unknown lease
      return make_runtime_error(runtime_errc::not_found, what);
    if (res->status >= 500 || code == 14)  // unavailable: etcd is starting or has no leader
      return make_runtime_error(runtime_errc::timeout, what);
    return make_runtime_error(runtime_errc::store_failed, what);
  }
  return answer;
}

} // namespace sagaforge::cluster::etcd_detail
