// etcd_gateway: what every call to etcd's v3 JSON gateway shares (internal to cluster/control):
// the wire encoding (keys and values in base64, int64 fields as strings, zero values left
// out: a failed txn has no `succeeded`, an empty range no `kvs`) and etcd_conn, the endpoint with a small pool of idle
// cpp-httplib clients (one runs one request at a time) and one unary call with timeouts whose
// errors name the endpoint. Used by etcd_kv and etcd_watch; thread-safe.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include <httplib.h>
#include <nlohmann/json.hpp>

#include "caf/expected.hpp"

#include "cluster/control/etcd_kv.hpp"
#include "cluster/control/kv.hpp"

namespace sagaforge::cluster::etcd_detail {

using json = nlohmann::json;

std::string b64(const std::string& in);
std::string unb64(const std::string& in);

/// The smallest key after every key that starts with `prefix` (etcd's range_end).
std::string prefix_end(std::string prefix);

/// An int64 field: etcd sends strings, accepts both, and leaves zeros out.
int64_t num(const json& j, const char* field);

kv_entry to_entry(const json& j);
kv_range to_range(const json& j);
json op_json(const kv_op& op);
json compare_json(const kv_compare& c);

/// The endpoint, its options and a pool of idle clients.
struct etcd_conn {
  etcd_kv_options opts;
  std::string label;  // "etcd at http://...", for messages

  std::unique_ptr<httplib::Client> make_client(int64_t read_timeout_ms) const;

  /// One unary call; the parsed answer or an error naming the endpoint and the call.
  caf::expected<json> call(const std::string& path, const json& body);

private:
  std::mutex mtx_;
  std::vector<std::unique_ptr<httplib::Client>> idle_;
};

using conn_ptr = std::shared_ptr<etcd_conn>;

} // namespace sagaforge::cluster::etcd_detail
