// A watch over etcd's JSON gateway (see etcd_watch.hpp).
#include "cluster/control/etcd_watch.hpp"

#include <algorithm>
#include <condition_variable>
#include <mutex>
#include <thread>

#include <spdlog/spdlog.h>

namespace sagaforge::cluster::etcd_detail {

namespace {

class stream_watch final : public etcd_watch {
public:
  stream_watch(conn_ptr conn, std::shared_ptr<std::atomic<bool>> held, std::string prefix,
             int64_t from, kv_watch_handler h)
    : conn_(std::move(conn)), held_(std::move(held)), prefix_(std::move(prefix)), next_(from),
      h_(std::move(h)) {
    thread_ = std::thread([this] { run(); });
  }

  ~stream_watch() override {
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
  void interrupt() override {
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
      // Checked under the lock interrupt() takes: a hold that comes later stops this client.
      if (stop_ || held_->load())
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
    if (held_->load())
      return false;  // not delivered, so not lost: the next stream starts from next_
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

} // namespace

std::unique_ptr<etcd_watch> start_etcd_watch(conn_ptr conn,
                                             std::shared_ptr<std::atomic<bool>> held,
                                             std::string prefix, int64_t from,
                                             kv_watch_handler handler) {
  return std::make_unique<stream_watch>(std::move(conn), std::move(held), std::move(prefix),
                                        from, std::move(handler));
}

} // namespace sagaforge::cluster::etcd_detail
