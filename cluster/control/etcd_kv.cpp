// etcd's v3 JSON gateway as a kv (see etcd_kv.hpp). The wire encoding and the connection
// pool are in etcd_gateway.cpp, the watch in etcd_watch.cpp.
#include "cluster/control/etcd_kv.hpp"

#include <algorithm>
#include <atomic>
#include <mutex>
#include <set>

#include "cluster/control/etcd_gateway.hpp"
#include "cluster/control/etcd_watch.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::cluster {

namespace {

using namespace etcd_detail;


/// Unregisters a watch from its kv when the caller drops it.
class watch_handle : public kv_watch {
public:
  watch_handle(std::unique_ptr<etcd_watch> w, std::function<void(etcd_watch*)> forget)
    : w_(std::move(w)), forget_(std::move(forget)) {
  }
  ~watch_handle() override {
    forget_(w_.get());
  }

private:
  std::unique_ptr<etcd_watch> w_;
  std::function<void(etcd_watch*)> forget_;
};

class etcd_kv : public kv, public std::enable_shared_from_this<etcd_kv> {
public:
  explicit etcd_kv(conn_ptr conn)
    : conn_(std::move(conn)), held_(std::make_shared<std::atomic<bool>>(false)) {
  }

  std::string name() const override {
    return conn_->label;
  }

  caf::expected<kv_range> get(const std::string& key) override {
    auto r = conn_->call("/v3/kv/range", json{{"key", b64(key)}});
    if (!r)
      return r.error();
    return to_range(*r);
  }

  caf::expected<kv_range> range(const std::string& prefix) override {
    auto r = conn_->call("/v3/kv/range",
                         json{{"key", b64(prefix)}, {"range_end", b64(prefix_end(prefix))}});
    if (!r)
      return r.error();
    return to_range(*r);
  }

  caf::expected<int64_t> put(const std::string& key, const std::string& value,
                             int64_t lease) override {
    json body = {{"key", b64(key)}, {"value", b64(value)}};
    if (lease != 0)
      body["lease"] = std::to_string(lease);
    auto r = conn_->call("/v3/kv/put", body);
    if (!r)
      return r.error();
    return num(r->value("header", json::object()), "revision");
  }

  caf::expected<kv_txn_result> txn(const std::vector<kv_compare>& compare,
                                   const std::vector<kv_op>& success,
                                   const std::vector<kv_op>& failure) override {
    if (compare.size() > kv_txn_ops_max || success.size() > kv_txn_ops_max
        || failure.size() > kv_txn_ops_max)
      return make_runtime_error(runtime_errc::too_large,
                                conn_->label + ": a txn takes at most 128 operations");
    json body = {{"compare", json::array()}, {"success", json::array()},
                 {"failure", json::array()}};
    for (auto& c : compare)
      body["compare"].push_back(compare_json(c));
    for (auto& op : success)
      body["success"].push_back(op_json(op));
    for (auto& op : failure)
      body["failure"].push_back(op_json(op));
    auto r = conn_->call("/v3/kv/txn", body);
    if (!r)
      return r.error();
    kv_txn_result out;
    out.succeeded = r->value("succeeded", false);
    out.revision = num(r->value("header", json::object()), "revision");
    for (auto& resp : r->value("responses", json::array()))
      if (resp.contains("response_range"))
        for (auto& k : resp["response_range"].value("kvs", json::array()))
          out.reads.push_back(to_entry(k));
    return out;
  }

  caf::expected<kv_lease> grant(int64_t ttl_ms) override {
    auto secs = std::max<int64_t>(1, (ttl_ms + 999) / 1000);  // etcd counts whole seconds
    auto r = conn_->call("/v3/lease/grant", json{{"TTL", std::to_string(secs)}});
    if (!r)
      return r.error();
    kv_lease out{num(*r, "ID"), num(*r, "TTL") * 1000};
    if (out.id == 0 || out.ttl_ms == 0)
      return make_runtime_error(runtime_errc::store_failed,
                                conn_->label + ": lease grant answered " + r->dump());
    return out;
  }

  caf::expected<int64_t> keepalive(int64_t lease) override {
    auto r = conn_->call("/v3/lease/keepalive", json{{"ID", std::to_string(lease)}});
    if (!r)
      return r.error();
    // etcd 3.4 answers a dead or unknown lease's keepalive with 200 and no TTL.
    auto ttl = num(r->value("result", json::object()), "TTL");
    if (ttl <= 0)
      return make_runtime_error(runtime_errc::not_found, conn_->label + ": lease "
                                                           + std::to_string(lease) + " expired");
    return ttl * 1000;
  }

  caf::error revoke(int64_t lease) override {
    auto r = conn_->call("/v3/lease/revoke", json{{"ID", std::to_string(lease)}});
    return r ? caf::error{} : r.error();
  }

  std::unique_ptr<kv_watch> watch(const std::string& prefix, int64_t from,
                                  kv_watch_handler handler) override {
    auto w = start_etcd_watch(conn_, held_, prefix, from, std::move(handler));
    auto* raw = w.get();
    {
      std::lock_guard<std::mutex> guard{mtx_};
      watches_.insert(raw);
    }
    std::weak_ptr<etcd_kv> self = weak_from_this();
    return std::make_unique<watch_handle>(std::move(w), [self](etcd_watch* gone) {
      if (auto s = self.lock()) {
        std::lock_guard<std::mutex> guard{s->mtx_};
        s->watches_.erase(gone);
      }
    });
  }

  caf::error compact(int64_t revision) override {
    auto r = conn_->call("/v3/kv/compaction",
                         json{{"revision", std::to_string(revision)}, {"physical", true}});
    return r ? caf::error{} : r.error();
  }

  void hold_watches(bool held) override {
    held_->store(held);
    std::lock_guard<std::mutex> guard{mtx_};
    for (auto* w : watches_)
      w->interrupt();
  }

private:
  conn_ptr conn_;
  std::shared_ptr<std::atomic<bool>> held_;
  std::mutex mtx_;
  std::set<etcd_watch*> watches_;
};

} // namespace

caf::expected<kv_ptr> make_etcd_kv(const etcd_kv_options& opts) {
  auto fail = [&](const std::string& why) {
    return make_runtime_error(runtime_errc::invalid_config,
                              "etcd endpoint \"" + opts.endpoint + "\": " + why);
  };
  auto& ep = opts.endpoint;
  bool tls = ep.rfind("https://", 0) == 0;
  if (!tls && ep.rfind("http://", 0) != 0)
    return fail("must start with http:// or https://");
  if (ep.find(':', tls ? 8 : 7) == std::string::npos)
    return fail("needs a port (http://host:2379)");
  if (tls && (opts.tls_certificate.empty() || opts.tls_key.empty() || opts.tls_ca.empty()))
    return fail("https needs a client certificate, its key and the CA");
  auto conn = std::make_shared<etcd_conn>();
  conn->opts = opts;
  conn->label = "etcd at " + ep;
  if (!conn->make_client(opts.request_timeout_ms)->is_valid())
    return fail("not a usable URL");
  return kv_ptr{std::make_shared<etcd_kv>(std::move(conn))};
}

} // namespace sagaforge::cluster
