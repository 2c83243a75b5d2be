// The in-memory kv (see memory_kv.hpp). One mutex guards the whole store; watch threads wait
// on its condition variable and call their handlers outside the lock.
#include "cluster/control/memory_kv.hpp"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <map>
#include <mutex>
#include <set>
#include <thread>

#include "runtime/errors.hpp"
#include "runtime/steady_clock_ms.hpp"

namespace sagaforge::cluster {

namespace {

bool has_prefix(const std::string& key, const std::string& prefix) {
  return key.compare(0, prefix.size(), prefix) == 0;
}

caf::error unavailable() {
  return make_runtime_error(runtime_errc::timeout, "memory kv: unavailable (simulated outage)");
}

} // namespace

struct memory_kv_store::state {
  struct lease_state {
    int64_t ttl_ms = 0;
    int64_t deadline_ms = 0;
    std::set<std::string> keys;
  };

  struct logged_event {
    int64_t revision = 0;
    kv_event ev;
  };

  std::function<int64_t()> clock;
  mutable std::mutex mtx;
  std::condition_variable cv;
  bool available = true;
  bool stopping = false;
  int64_t rev = 1;
  int64_t compact_rev = 0;
  int64_t next_lease = 0x1000;
  std::map<std::string, kv_entry> data;
  std::vector<logged_event> history;  // ascending revisions, after compact_rev
  std::map<int64_t, lease_state> leases;
  std::thread reaper;

  // -- writes; all under mtx, at revision rev (the caller bumps it once per write) --

  void put_locked(const std::string& key, const std::string& value, int64_t lease) {
    auto& e = data[key];
    if (e.create_revision == 0)
      e.create_revision = rev;
    if (e.lease != 0 && e.lease != lease)
      leases[e.lease].keys.erase(key);
    e.key = key;
    e.value = value;
    e.mod_revision = rev;
    e.lease = lease;
    if (lease != 0)
      leases[lease].keys.insert(key);
    history.push_back({rev, kv_event{false, e}});
  }

  void del_locked(const std::string& key) {
    auto i = data.find(key);
    if (i == data.end())
      return;
    if (i->second.lease != 0)
      leases[i->second.lease].keys.erase(key);
    kv_entry gone;
    gone.key = key;
    gone.mod_revision = rev;
    history.push_back({rev, kv_event{true, gone}});
    data.erase(i);
  }

  void drop_lease_locked(int64_t id) {
    auto i = leases.find(id);
    if (i == leases.end())
      return;
    auto keys = i->second.keys;
    leases.erase(i);
    if (keys.empty())
      return;
    ++rev;
    for (auto& k : keys)
      del_locked(k);
    cv.notify_all();
  }

  void expire_locked() {
    if (!available)
      return;
    auto now = clock();
    std::vector<int64_t> dead;
    for (auto& [id, l] : leases)
      if (l.deadline_ms <= now)
        dead.push_back(id);
    for (auto id : dead)
      drop_lease_locked(id);
  }

  kv_range range_locked(const std::string& prefix, bool exact) const {
    kv_range out;
    out.revision = rev;
    for (auto i = data.lower_bound(prefix); i != data.end() && has_prefix(i->first, prefix); ++i) {
      if (exact && i->first != prefix)
        break;
      out.kvs.push_back(i->second);
    }
    return out;
  }

  bool compare_locked(const kv_compare& c) const {
    auto i = data.find(c.key);
    int64_t actual = 0;
    if (i != data.end()) {
      switch (c.what) {
        case kv_compare::field::mod_revision: actual = i->second.mod_revision; break;
        case kv_compare::field::create_revision: actual = i->second.create_revision; break;
        case kv_compare::field::lease: actual = i->second.lease; break;
      }
    }
    return actual == c.value;
  }
};

namespace {

using state_ptr = std::shared_ptr<memory_kv_store::state>;

/// A watch: its own thread replays the history from its next revision and then follows it.
class memory_watch : public kv_watch {
public:
  memory_watch(state_ptr st, std::shared_ptr<std::atomic<bool>> held, std::string prefix,
               int64_t from, kv_watch_handler h)
    : st_(std::move(st)), held_(std::move(held)), prefix_(std::move(prefix)), next_(from),
      h_(std::move(h)) {
    thread_ = std::thread([this] { run(); });
  }

  ~memory_watch() override {
    {
      std::lock_guard<std::mutex> guard{st_->mtx};
      stop_ = true;
    }
    st_->cv.notify_all();
    thread_.join();
  }

private:
  bool ready_locked() const {
    return stop_ || st_->stopping
           || (st_->available && !held_->load() && st_->rev >= next_);
  }

  void run() {
    std::unique_lock<std::mutex> lock{st_->mtx};
    for (;;) {
      st_->cv.wait_for(lock, std::chrono::milliseconds(50), [this] { return ready_locked(); });
      if (stop_ || st_->stopping)
        return;
      if (!ready_locked())
        continue;
      if (next_ <= st_->compact_rev) {
        auto snap = st_->range_locked(prefix_, false);
        auto compact = st_->compact_rev;
        next_ = snap.revision + 1;
        lock.unlock();
        if (h_.on_resync)
          h_.on_resync(snap, compact);
        lock.lock();
        continue;
      }
      auto& hist = st_->history;
      auto i = std::lower_bound(hist.begin(), hist.end(), next_,
                                [](const memory_kv_store::state::logged_event& e, int64_t r) { return e.revision < r; });
      std::vector<kv_event> evs;
      for (; i != hist.end(); ++i)
        if (has_prefix(i->ev.kv.key, prefix_))
          evs.push_back(i->ev);
      auto covered = st_->rev;
      next_ = covered + 1;
      if (evs.empty())
        continue;
      lock.unlock();
      if (h_.on_events)
        h_.on_events(evs, covered);
      lock.lock();
    }
  }

  state_ptr st_;
  std::shared_ptr<std::atomic<bool>> held_;
  std::string prefix_;
  int64_t next_;
  kv_watch_handler h_;
  bool stop_ = false;  // guarded by st_->mtx
  std::thread thread_;
};

class memory_kv : public kv {
public:
  explicit memory_kv(state_ptr st)
    : st_(std::move(st)), held_(std::make_shared<std::atomic<bool>>(false)) {
  }

  std::string name() const override {
    return "memory kv";
  }

  caf::expected<kv_range> get(const std::string& key) override {
    std::lock_guard<std::mutex> guard{st_->mtx};
    if (!st_->available)
      return unavailable();
    st_->expire_locked();
    return st_->range_locked(key, true);
  }

  caf::expected<kv_range> range(const std::string& prefix) override {
    std::lock_guard<std::mutex> guard{st_->mtx};
    if (!st_->available)
      return unavailable();
    st_->expire_locked();
    return st_->range_locked(prefix, false);
  }

  caf::expected<int64_t> put(const std::string& key, const std::string& value,
                             int64_t lease) override {
    auto r = txn({}, {kv_op{kv_op::kind::put, key, value, lease}}, {});
    if (!r)
      return r.error();
    return r->revision;
  }

  caf::expected<kv_txn_result> txn(const std::vector<kv_compare>& compare,
                                   const std::vector<kv_op>& success,
                                   const std::vector<kv_op>& failure) override {
    if (compare.size() > kv_txn_ops_max || success.size() > kv_txn_ops_max
        || failure.size() > kv_txn_ops_max)
      return make_runtime_error(runtime_errc::too_large, "memory kv: too many operations");
    std::lock_guard<std::mutex> guard{st_->mtx};
    if (!st_->available)
      return unavailable();
    st_->expire_locked();
    kv_txn_result out;
    out.succeeded = std::all_of(compare.begin(), compare.end(),
                                [this](const kv_compare& c) { return st_->compare_locked(c); });
    auto& ops = out.succeeded ? success : failure;
    std::set<std::string> written;
    bool writes = false;
    for (auto& op : ops) {
      if (op.type == kv_op::kind::get)
        continue;
      if (!written.insert(op.key).second)
        return make_runtime_error(runtime_errc::store_failed,
                                  "memory kv: duplicate key in a txn: " + op.key);
      if (op.type == kv_op::kind::put && op.lease != 0 && st_->leases.count(op.lease) == 0)
        return make_runtime_error(runtime_errc::not_found, "memory kv: lease not found");
      writes = true;
    }
    if (writes)
      ++st_->rev;
    for (auto& op : ops) {
      if (op.type == kv_op::kind::get) {
        auto r = st_->range_locked(op.key, true);
        out.reads.insert(out.reads.end(), r.kvs.begin(), r.kvs.end());
      } else if (op.type == kv_op::kind::put) {
        st_->put_locked(op.key, op.value, op.lease);
      } else {
        st_->del_locked(op.key);
      }
    }
    out.revision = st_->rev;
    if (writes)
      st_->cv.notify_all();
    return out;
  }

  caf::expected<kv_lease> grant(int64_t ttl_ms) override {
    std::lock_guard<std::mutex> guard{st_->mtx};
    if (!st_->available)
      return unavailable();
    auto id = st_->next_lease++;
    st_->leases[id] = memory_kv_store::state::lease_state{ttl_ms, st_->clock() + ttl_ms, {}};
    return kv_lease{id, ttl_ms};
  }

  caf::expected<int64_t> keepalive(int64_t lease) override {
    std::lock_guard<std::mutex> guard{st_->mtx};
    if (!st_->available)
      return unavailable();
    st_->expire_locked();
    auto i = st_->leases.find(lease);
    if (i == st_->leases.end())
      return make_runtime_error(runtime_errc::not_found, "memory kv: lease not found");
    i->second.deadline_ms = st_->clock() + i->second.ttl_ms;
    return i->second.ttl_ms;
  }

  caf::error revoke(int64_t lease) override {
    std::lock_guard<std::mutex> guard{st_->mtx};
    if (!st_->available)
      return unavailable();
    if (st_->leases.count(lease) == 0)
      return make_runtime_error(runtime_errc::not_found, "memory kv: lease not found");
    st_->drop_lease_locked(lease);
    return {};
  }

  std::unique_ptr<kv_watch> watch(const std::string& prefix, int64_t from,
                                  kv_watch_handler handler) override {
    return std::make_unique<memory_watch>(st_, held_, prefix, from, std::move(handler));
  }

  caf::error compact(int64_t revision) override {
    std::lock_guard<std::mutex> guard{st_->mtx};
    if (!st_->available)
      return unavailable();
    if (revision <= st_->compact_rev || revision > st_->rev)
      return make_runtime_error(runtime_errc::store_failed,
                                "memory kv: compaction revision out of range");
    st_->compact_rev = revision;
    auto& h = st_->history;
    h.erase(h.begin(), std::find_if(h.begin(), h.end(), [revision](const memory_kv_store::state::logged_event& e) {
              return e.revision > revision;
            }));
    return {};
  }

  void hold_watches(bool held) override {
    held_->store(held);
    st_->cv.notify_all();
  }

private:
  state_ptr st_;
  std::shared_ptr<std::atomic<bool>> held_;
};

} // namespace

memory_kv_store::memory_kv_store(std::function<int64_t()> clock_ms)
  : st_(std::make_shared<state>()) {
  st_->clock = clock_ms ? std::move(clock_ms) : steady_ms;
  st_->reaper = std::thread([st = st_.get()] {
    std::unique_lock<std::mutex> lock{st->mtx};
    while (!st->stopping) {
      st->cv.wait_for(lock, std::chrono::milliseconds(20));
      st->expire_locked();
    }
  });
}

memory_kv_store::~memory_kv_store() {
  {
    std::lock_guard<std::mutex> guard{st_->mtx};
    st_->stopping = true;
  }
  st_->cv.notify_all();
  st_->reaper.join();
}

kv_ptr memory_kv_store::connect() {
  return std::make_shared<memory_kv>(st_);
}

void memory_kv_store::set_available(bool up) {
  std::lock_guard<std::mutex> guard{st_->mtx};
  if (up && !st_->available)
    for (auto& [id, l] : st_->leases)
      l.deadline_ms = st_->clock() + l.ttl_ms;
  st_->available = up;
  st_->cv.notify_all();
}

int64_t memory_kv_store::revision() const {
  std::lock_guard<std::mutex> guard{st_->mtx};
  return st_->rev;
}

} // namespace sagaforge::cluster
