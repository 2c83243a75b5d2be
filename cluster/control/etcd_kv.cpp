// etcd's v3 JSON gateway as a kv (see etcd_kv.hpp).
#include "cluster/control/etcd_kv.hpp"

#include <algorithm>
#include <atomic>
#include <condition_variable>
#include <mutex>
#include <set>
#include <thread>

#include <httplib.h>
#include <nlohmann/json.hpp>
#include <spdlog/spdlog.h>

#include "runtime/errors.hpp"

namespace sagaforge::cluster {

namespace {

using json = nlohmann::json;

constexpr size_t txn_ops_max = 128;  // etcd's default --max-txn-ops
constexpr size_t idle_clients_max = 4;

// -- encoding: keys and values are base64, int64 fields are strings --

const char b64_chars[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

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

// -- the connection: endpoint, options, a pool of idle clients --

struct etcd_conn {
  etcd_kv_options opts;
  std::string label;  // "etcd at http://..."
  std::mutex mtx;
  std::vector<std::unique_ptr<httplib::Client>> idle;

  std::unique_ptr<httplib::Client> make_client(int64_t read_timeout_ms) const {
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
    c->set_tcp_nodelay(true);  // 44 ms per request without it (cluster-design.md §1)
    c->set_connection_timeout(std::chrono::milliseconds(opts.connect_timeout_ms));
    c->set_read_timeout(std::chrono::milliseconds(read_timeout_ms));
    c->set_write_timeout(std::chrono::milliseconds(opts.request_timeout_ms));
    return c;
  }

  /// One unary call; the parsed answer or an error naming the endpoint and the call.
  caf::expected<json> call(const std::string& path, const json& body) {
    std::unique_ptr<httplib::Client> c;
    {
      std::lock_guard<std::mutex> guard{mtx};
      if (!idle.empty()) {
        c = std::move(idle.back());
        idle.pop_back();
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
      std::lock_guard<std::mutex> guard{mtx};
      if (idle.size() < idle_clients_max)
        idle.push_back(std::move(c));
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
};

using conn_ptr = std::shared_ptr<etcd_conn>;

// -- watch: one streaming POST per connection, on its own thread --

class etcd_watch : public kv_watch {
public:
  etcd_watch(conn_ptr conn, std::shared_ptr<std::atomic<bool>> held, std::string prefix,
             int64_t from, kv_watch_handler h)
    : conn_(std::move(conn)), held_(std::move(held)), prefix_(std::move(prefix)), next_(from),
      h_(std::move(h)) {
    thread_ = std::thread([this] { run(); });
  }

  ~etcd_watch() override {
    {
      std::lock_guard<std::mutex> guard{mtx_};
      stop_ = true;
      if (client_)
        client_->stop();
    }
    cv_.notify_all();
    thread_.join();
  }

  /// Closes the current stream (hold_watches): run() then waits while held.
  void interrupt() {
    std::lock_guard<std::mutex> guard{mtx_};
    if (client_)
      client_->stop();
    cv_.notify_all();
  }

private:
  bool stopped() {
    std::lock_guard<std::mutex> guard{mtx_};
    return stop_;
  }

  void pause(int64_t ms) {
    std::unique_lock<std::mutex> lock{mtx_};
    cv_.wait_for(lock, std::chrono::milliseconds(ms), [this] { return stop_; });
  }

  void run() {
    int64_t backoff_ms = 50;
    bool lost = false;  // said "lost" and not yet "resumed"
    while (!stopped()) {
      if (held_->load()) {
        pause(50);
        continue;
      }
      if (compacted_ > 0) {
        if (!resync()) {
          pause(backoff_ms);
          backoff_ms = std::min(backoff_ms * 2, conn_->opts.watch_retry_max_ms);
        }
        continue;
      }
      auto err = stream_once();
      if (created_) {
        backoff_ms = 50;
        if (lost)
          spdlog::info("{}: watch of {} resumed from revision {}", conn_->label, prefix_, next_);
        lost = false;
        continue;  // a quiet stream timed out or etcd closed it: reopen, losing nothing
      }
      if (stopped() || held_->load())
        continue;
      if (!lost)
        spdlog::warn("{}: watch of {} lost ({}); retrying", conn_->label, prefix_, err);
      lost = true;
      pause(backoff_ms);
      backoff_ms = std::min(backoff_ms * 2, conn_->opts.watch_retry_max_ms);
    }
  }

  /// Re-reads the prefix after a compaction; false when etcd did not answer.
  bool resync() {
    auto body = json{{"key", b64(prefix_)}, {"range_end", b64(prefix_end(prefix_))}};
    auto r = conn_->call("/v3/kv/range", body);
    if (!r)
      return false;
    auto snap = to_range(*r);
    auto compact = compacted_;
    compacted_ = 0;
    next_ = snap.revision + 1;
    if (h_.on_resync)
      h_.on_resync(snap, compact);
    return true;
  }

  /// One connection: until it ends, times out, is stopped, or reports a compaction.
  std::string stream_once() {
    created_ = false;
    {
      std::lock_guard<std::mutex> guard{mtx_};
      if (stop_)
        return "stopped";
      client_ = conn_->make_client(conn_->opts.watch_idle_timeout_ms);
    }
    json create = {{"key", b64(prefix_)},           {"range_end", b64(prefix_end(prefix_))},
                   {"start_revision", std::to_string(next_)}, {"progress_notify", true}};
    httplib::Request req;
    req.method = "POST";
    req.path = "/v3/watch";
    req.body = json{{"create_request", create}}.dump();
    req.set_header("Content-Type", "application/json");
    std::string buffer;
    std::string problem;
    req.content_receiver = [&](const char* data, size_t n, uint64_t, uint64_t) {
      buffer.append(data, n);
      // A replay packs several events per line: split on newlines, not on chunks.
      for (size_t nl; (nl = buffer.find('\n')) != std::string::npos;) {
        auto line = buffer.substr(0, nl);
        buffer.erase(0, nl + 1);
        if (!on_line(line, problem))
          return false;
      }
      return !held_->load();
    };
    auto res = client_->send(req);
    {
      std::lock_guard<std::mutex> guard{mtx_};
      client_.reset();
    }
    if (!problem.empty())
      return problem;
    if (!res)
      return httplib::to_string(res.error());
    if (res->status != 200)
      return "HTTP " + std::to_string(res->status) + ": " + res->body.substr(0, 200);
    return "stream ended";
  }

  /// One line of the stream; false ends the connection.
  bool on_line(const std::string& line, std::string& problem) {
    auto j = json::parse(line, nullptr, false);
    if (j.is_discarded() || !j.is_object())
      return true;  // an empty keep-alive line
    if (j.contains("error")) {
      problem = j["error"].value("message", "stream error");
      return false;
    }
    auto res = j.value("result", json::object());
    if (res.value("canceled", false)) {
      compacted_ = num(res, "compact_revision");
      problem = compacted_ > 0 ? "compacted at " + std::to_string(compacted_)
                               : res.value("cancel_reason", "canceled by etcd");
      return false;
    }
    if (res.value("created", false)) {
      created_ = true;
      return true;
    }
    auto evs = res.value("events", json::array());
    if (evs.empty()) {  // a progress notification: nothing up to this revision is missing
      auto rev = num(res.value("header", json::object()), "revision");
      next_ = std::max(next_, rev + 1);
      return true;
    }
    std::vector<kv_event> out;
    for (auto& e : evs)
      out.push_back(kv_event{e.value("type", "") == "DELETE", to_entry(e.value("kv", json{}))});
    auto covered = out.back().kv.mod_revision;
    next_ = covered + 1;
    if (h_.on_events)
      h_.on_events(out, covered);
    return !stopped();
  }

  conn_ptr conn_;
  std::shared_ptr<std::atomic<bool>> held_;
  std::string prefix_;
  int64_t next_;        // the first revision not delivered yet (watch thread only)
  int64_t compacted_ = 0;
  bool created_ = false;
  kv_watch_handler h_;
  std::mutex mtx_;
  std::condition_variable cv_;
  bool stop_ = false;
  std::unique_ptr<httplib::Client> client_;  // the open stream's, guarded by mtx_
  std::thread thread_;
};

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
    if (compare.size() > txn_ops_max || success.size() > txn_ops_max
        || failure.size() > txn_ops_max)
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
    // A dead or unknown lease answers 200 with no TTL (cluster-design.md §1).
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
    auto w = std::make_unique<etcd_watch>(conn_, held_, prefix, from, std::move(handler));
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
