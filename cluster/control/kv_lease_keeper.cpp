// The control plane's lease (see kv_control_plane.hpp): registration of members/<node> under
// a lease, its keepalive thread, and re-registration under a new lease (a new incarnation)
// after the old one was lost. Runs on the joining thread (register_first) and on the keeper
// thread (everything else but leave).
#include <chrono>
#include <thread>

#include <spdlog/spdlog.h>

#include "cluster/control/kv_control_plane_impl.hpp"
#include "runtime/errors.hpp"
#include "runtime/steady_clock_ms.hpp"

namespace sagaforge::cluster {

namespace {

constexpr int64_t predecessor_poll_ms = 200;

bool is(const caf::error& err, runtime_errc code) {
  return err && err.category() == caf::atom("runtime")
         && err.code() == static_cast<uint8_t>(code);
}

} // namespace

/// true: registered under a new lease; false: members/<node> is held under another lease.
caf::expected<bool> kv_control_plane::impl::register_under_new_lease() {
  auto sent = steady_ms();
  auto granted = store->grant(opts.lease_ttl_ms);
  if (!granted)
    return granted.error();
  member_info m;
  {
    std::lock_guard<std::mutex> g{mtx};
    m = self;
  }
  m.incarnation = granted->id;
  auto key = layout::member_key(root, m.node);
  auto r = store->txn({{key, kv_compare::field::create_revision, 0}},
                      {{kv_op::kind::put, key, layout::encode_member(m, seen_revision()),
                        granted->id}},
                      {});
  if (!r || !r->succeeded) {
    store->revoke(granted->id);  // best effort: unused, it expires anyway
    if (!r)
      return r.error();
    return false;
  }
  {
    std::lock_guard<std::mutex> g{mtx};
    self.incarnation = granted->id;
  }
  // The local deadline is never later than etcd's expiry, which can only come later.
  deadline_ms = sent + granted->ttl_ms * 9 / 10;
  lease = granted->id;
  return true;
}

caf::error kv_control_plane::impl::register_first() {
  auto wait = opts.predecessor_wait_ms < 0 ? opts.lease_ttl_ms + 1000 : opts.predecessor_wait_ms;
  auto until = steady_ms() + wait;
  for (bool said = false;; said = true) {
    auto r = register_under_new_lease();
    if (!r)
      return r.error();
    if (*r)
      return {};
    // A crashed earlier process of this node leaves its key until its lease expires; a
    // live one keeps renewing it. Waiting one TTL tells them apart.
    if (steady_ms() >= until) {
      std::string holder;
      auto key = layout::member_key(root, self.node);
      if (auto got = store->get(key); got && !got->kvs.empty())
        holder = " (" + got->kvs.front().value + ")";
      return make_runtime_error(runtime_errc::invalid_config,
                                "node " + self.node + " is already running in " + where()
                                  + ": " + key + " is held by a live process" + holder
                                  + "; a second process with the same node id is refused");
    }
    if (!said)
      spdlog::info("cluster: members/{} exists in {}: waiting up to {} ms for an earlier "
                   "process's lease to expire",
                   self.node, where(), wait);
    std::this_thread::sleep_for(std::chrono::milliseconds(predecessor_poll_ms));
  }
}

void kv_control_plane::impl::start_keeper() {
  keeper = std::thread([this] {
    auto interval = std::chrono::milliseconds(std::max<int64_t>(100, opts.lease_ttl_ms / 3));
    std::unique_lock<std::mutex> lock{keeper_mtx};
    while (!keeper_stop) {
      if (keeper_cv.wait_for(lock, interval, [this] { return keeper_stop; }))
        break;
      lock.unlock();
      keeper_tick();
      lock.lock();
    }
  });
}

void kv_control_plane::impl::stop_keeper() {
  {
    std::lock_guard<std::mutex> g{keeper_mtx};
    keeper_stop = true;
  }
  keeper_cv.notify_all();
  if (keeper.joinable())
    keeper.join();
}

void kv_control_plane::impl::keeper_tick() {
  auto id = lease.load();
  auto sent = steady_ms();
  if (id != 0 && sent < deadline_ms) {
    auto ttl = store->keepalive(id);
    if (ttl) {
      deadline_ms = sent + std::min(*ttl, opts.lease_ttl_ms + 1000) * 9 / 10;
      if (keeper_failing)
        spdlog::info("cluster: {}: lease {} renewed again", where(), id);
      keeper_failing = false;
      return;
    }
    if (!is(ttl.error(), runtime_errc::not_found)) {
      if (!keeper_failing)
        spdlog::warn("cluster: {}: cannot renew lease {}: {}; serving goes on from the last "
                     "confirmed map",
                     where(), id, describe(ttl.error()));
      keeper_failing = true;
      return;
    }
  }
  // The lease is lost, or its window passed without a renewal: peers may have seen this
  // node's member key go, so it comes back as a new incarnation even if etcd kept (or, by a
  // restart, extended) the old lease. This is safe: owning a shard rests on the shard map
  // (rows changed only by compare-and-swap on their revision, each change of owner raising
  // the epoch) and on the old owner's own freeze, never on holding a lease. A node that
  // re-registers owns exactly what the map says; if an operator force-reassigned its shards
  // while it was away, it reads the new epoch and serves none of them.
  if (id != 0) {
    auto err = store->revoke(id);
    if (err && !is(err, runtime_errc::not_found)) {
      if (!keeper_failing)
        spdlog::warn("cluster: {}: lease {} lost and cannot re-register yet: {}", where(), id,
                     describe(err));
      keeper_failing = true;
      return;
    }
    lease = 0;
  }
  auto r = register_under_new_lease();
  if (!r || !*r) {
    if (!keeper_failing)
      spdlog::warn("cluster: {}: cannot re-register {}: {}", where(), self.node,
                   r ? "its member key is held by another process" : describe(r.error()));
    keeper_failing = true;
    return;
  }
  keeper_failing = false;
  spdlog::info("cluster: {}: {} re-registered as incarnation {} (lease {} was lost)", where(),
               self.node, lease.load(), id);
}

caf::error kv_control_plane::impl::leave() {
  stop_keeper();
  auto id = lease.exchange(0);
  deadline_ms = 0;
  if (id == 0)
    return {};
  auto err = store->revoke(id);
  return is(err, runtime_errc::not_found) ? caf::error{} : err;
}

bool kv_control_plane::impl::registered() const {
  return lease.load() != 0 && steady_ms() < deadline_ms.load();
}

} // namespace sagaforge::cluster
