// The control plane over a kv store (see kv_control_plane.hpp): joining (bootstrap, checks,
// registration), the map kept by the watch, shard CAS, member state. The lease and its
// keepalive thread are in kv_lease_keeper.cpp.
#include "cluster/control/kv_control_plane.hpp"

#include <algorithm>
#include <chrono>
#include <set>
#include <thread>

#include <spdlog/spdlog.h>

#include "cluster/control/kv_control_plane_impl.hpp"
#include "cluster/control/kv_layout.hpp"
#include "runtime/errors.hpp"

namespace sagaforge::cluster {

namespace {

constexpr int roster_claim_attempts = 5;

int64_t wall_ms() {
  using namespace std::chrono;
  return duration_cast<milliseconds>(system_clock::now().time_since_epoch()).count();
}

caf::error refused(const std::string& what) {
  return make_runtime_error(runtime_errc::invalid_config, what);
}

std::string join_names(const std::map<std::string, roster_entry>& roster) {
  std::string out;
  for (auto& [node, r] : roster)
    out += (out.empty() ? "" : ", ") + node;
  return out.empty() ? "empty" : out;
}

} // namespace

kv_control_plane::impl::impl(kv_ptr s, kv_control_plane_options o)
  : store(std::move(s)), opts(std::move(o)), root(layout::root(opts.cluster_name)),
    builder(root) {
}

std::string kv_control_plane::impl::where() const {
  return "cluster '" + opts.cluster_name + "' (" + store->name() + ")";
}

// -- join --

caf::error kv_control_plane::impl::bootstrap(const join_request& req) {
  if (!req.owns_shards)
    return make_runtime_error(runtime_errc::not_found,
                              where() + " does not exist, and a client node cannot create it");
  auto& names = req.bootstrap_roster;
  if (names.empty())
    return refused(where() + " does not exist yet and the bootstrap roster "
                   "(sagaforge.cluster.roster) is empty: name the nodes of the new cluster");
  if (std::set<std::string>(names.begin(), names.end()).size() != names.size())
    return refused("the bootstrap roster names a node twice");
  if (std::find(names.begin(), names.end(), req.self.node) == names.end())
    return refused(where() + " does not exist yet and node " + req.self.node
                   + " is not in the bootstrap roster it would create it with");
  if (req.shard_count == 0)
    return refused("a cluster needs at least one shard");
  // Shards in chunks of 128 when they do not fit in the meta txn; each chunk is guarded by
  // meta's absence, and meta (with the roster) comes last, in one txn, so that of two nodes
  // bootstrapping at once exactly one creates the cluster.
  kv_compare absent{layout::meta_key(root), kv_compare::field::create_revision, 0};
  std::vector<kv_op> ops;
  auto flush = [&]() -> caf::error {
    if (ops.empty())
      return {};
    auto r = store->txn({absent}, ops, {});
    ops.clear();
    return r ? caf::error{} : r.error();
  };
  bool single = 1 + names.size() + req.shard_count <= kv_txn_ops_max;
  for (uint32_t s = 0; s < req.shard_count; ++s) {
    shard_entry e{names[s % names.size()], 1, 0, ""};
    ops.push_back({kv_op::kind::put, layout::shard_key(root, s), layout::encode_shard(e), 0});
    if (!single && ops.size() == kv_txn_ops_max)
      if (auto err = flush())
        return err;
  }
  if (!single)
    if (auto err = flush())
      return err;
  for (auto& n : names) {
    roster_entry r{n, "active", n == req.self.node ? req.store_id : ""};
    ops.push_back({kv_op::kind::put, layout::roster_key(root, n), layout::encode_roster(r), 0});
  }
  ops.push_back({kv_op::kind::put, layout::meta_key(root),
                 layout::encode_meta(req.shard_count, wall_ms()), 0});
  auto r = store->txn({absent}, ops, {});
  if (!r)
    return r.error();
  if (r->succeeded)
    spdlog::info("cluster: {} created: {} shards over {} nodes, by {}", where(),
                 req.shard_count, names.size(), req.self.node);
  return {};  // or another node created it first: the caller reads it and checks
}

caf::error kv_control_plane::impl::check_roster(const join_request& req) {
  auto& node = req.self.node;
  if (req.store_id.empty())
    return refused("node " + node + " has no store id to check against the roster");
  for (int attempt = 0; attempt < roster_claim_attempts; ++attempt) {
    auto got = store->get(layout::roster_key(root, node));
    if (!got)
      return got.error();
    if (got->kvs.empty()) {
      auto map = store->range(root + "roster/");
      layout::map_builder b{root};
      if (map)
        b.reset(*map);
      return refused("node " + node + " is not in the roster of " + where() + " (roster: "
                     + join_names(b.map().roster) + ")");
    }
    auto& kv = got->kvs.front();
    auto entry = layout::decode_roster(node, kv.value);
    if (!entry)
      return make_runtime_error(runtime_errc::corrupt_record,
                                "unreadable roster entry " + kv.key + ": " + kv.value);
    if (entry->status == "removed")
      return refused("node " + node + " was removed from " + where());
    if (!entry->store_id.empty()) {
      if (entry->store_id == req.store_id)
        return {};
      return refused("node " + node + "'s data folder holds store " + req.store_id + " but "
                     + where() + " expects store " + entry->store_id + " for it (" + kv.key
                     + "): a wiped or different data folder would serve shards without their "
                       "data; restore the node's folder, or have an operator replace the node");
    }
    // First join of this node: record its store, unless someone else did meanwhile.
    entry->store_id = req.store_id;
    auto r = store->txn({{kv.key, kv_compare::field::mod_revision, kv.mod_revision}},
                        {{kv_op::kind::put, kv.key, layout::encode_roster(*entry), 0}}, {});
    if (!r)
      return r.error();
    if (r->succeeded)
      return {};
  }
  return refused("the roster entry of " + node + " keeps changing; try again");
}

caf::error kv_control_plane::impl::join(const join_request& req) {
  std::lock_guard<std::mutex> guard{join_mtx};
  if (joined)
    return refused("this control plane has joined already");
  auto named = [&](caf::error err) {
    auto text = describe(err);
    if (err.category() != caf::atom("runtime")
        || err.code() != static_cast<uint8_t>(runtime_errc::invalid_config))
      spdlog::error("cluster: {} cannot join {}: {}", req.self.node, where(), text);
    return err;
  };
  auto snap = store->get(layout::meta_key(root));
  if (!snap)
    return named(snap.error());
  if (snap->kvs.empty())
    if (auto err = bootstrap(req))
      return named(err);
  auto all = store->range(root);
  if (!all)
    return named(all.error());
  layout::map_builder b{root};
  b.reset(*all);
  if (b.map().shard_count != req.shard_count)
    return refused("node " + req.self.node + " has " + std::to_string(req.shard_count)
                   + " shards but " + where() + " was created with "
                   + std::to_string(b.map().shard_count)
                   + ": the shard count is fixed when a cluster is created");
  if (req.owns_shards)
    if (auto err = check_roster(req))
      return named(err);
  {
    std::lock_guard<std::mutex> g{mtx};
    self = req.self;
  }
  if (auto err = register_first())
    return named(err);
  if (auto err = start_watch()) {
    store->revoke(lease.exchange(0));  // best effort: not joined, so not registered either
    return named(err);
  }
  start_keeper();
  joined = true;
  return {};
}

// -- the map: a snapshot, then the watch --

caf::error kv_control_plane::impl::start_watch() {
  auto all = store->range(root);
  if (!all)
    return all.error();
  {
    std::lock_guard<std::mutex> g{mtx};
    builder.reset(*all);
  }
  kv_watch_handler h;
  h.on_events = [this](const std::vector<kv_event>& evs, int64_t rev) {
    bool changed = false;
    {
      std::lock_guard<std::mutex> g{mtx};
      for (auto& ev : evs)
        changed = builder.apply(ev) || changed;
      builder.set_revision(rev);
    }
    if (changed)
      notify();
  };
  h.on_resync = [this](const kv_range& snap, int64_t compacted) {
    spdlog::info("cluster: {}: history compacted at {}: map re-read at revision {}", where(),
                 compacted, snap.revision);
    {
      std::lock_guard<std::mutex> g{mtx};
      builder.reset(snap);
    }
    notify();
  };
  watch = store->watch(root, all->revision + 1, std::move(h));
  return {};
}

void kv_control_plane::impl::notify() {
  // One notification at a time, each with the map as it is then: listeners see it advance.
  std::lock_guard<std::mutex> serial{notify_mtx};
  std::vector<listener> fs;
  cluster_map m;
  {
    std::lock_guard<std::mutex> g{mtx};
    fs = listeners;
    m = builder.map();
  }
  for (auto& f : fs)
    f(m);
}

// -- shard rows and member state --

caf::expected<int64_t> kv_control_plane::impl::cas_shard(uint32_t shard, int64_t expected,
                                                         const shard_entry& next) {
  auto key = layout::shard_key(root, shard);
  auto r = store->txn({{key, kv_compare::field::mod_revision, expected}},
                      {{kv_op::kind::put, key, layout::encode_shard(next), 0}},
                      {{kv_op::kind::get, key, "", 0}});
  if (!r)
    return r.error();
  if (r->succeeded)
    return r->revision;
  shard_entry now;
  if (!r->reads.empty())
    if (auto s = layout::decode_shard(r->reads.front()))
      now = *s;
  auto what = "shard " + std::to_string(shard) + " changed: expected revision "
              + std::to_string(expected) + ", now " + std::to_string(now.mod_revision)
              + " (owner " + now.owner + ", epoch " + std::to_string(now.epoch) + ")";
  return caf::make_error(runtime_errc::rejected, std::move(what),
                         layout::encode_shard_row(now));
}

caf::error kv_control_plane::impl::set_state(const std::string& state) {
  member_info m;
  {
    std::lock_guard<std::mutex> g{mtx};
    self.state = state;
    m = self;
  }
  auto id = lease.load();
  if (id == 0)
    return make_runtime_error(runtime_errc::not_found, "node " + m.node + " is not registered");
  auto key = layout::member_key(root, m.node);
  m.incarnation = id;
  auto r = store->txn({{key, kv_compare::field::lease, id}},
                      {{kv_op::kind::put, key, layout::encode_member(m, seen_revision()), id}},
                      {});
  if (!r)
    return r.error();
  if (!r->succeeded)
    return make_runtime_error(runtime_errc::not_found,
                              "node " + m.node + "'s registration is gone from " + where());
  return {};
}

int64_t kv_control_plane::impl::seen_revision() const {
  std::lock_guard<std::mutex> g{mtx};
  return builder.map().revision;
}

// -- the public face --

kv_control_plane::kv_control_plane(kv_ptr store, kv_control_plane_options opts)
  : impl_(std::make_shared<impl>(std::move(store), std::move(opts))) {
}

kv_control_plane::~kv_control_plane() {
  impl_->stop_keeper();
  impl_->watch.reset();  // joins the watch thread, which calls into impl_
}

caf::error kv_control_plane::join(const join_request& req) {
  return impl_->join(req);
}

cluster_map kv_control_plane::current() const {
  std::lock_guard<std::mutex> g{impl_->mtx};
  return impl_->builder.map();
}

void kv_control_plane::subscribe(listener f) {
  std::lock_guard<std::mutex> g{impl_->mtx};
  impl_->listeners.push_back(std::move(f));
}

caf::expected<int64_t> kv_control_plane::cas_shard(uint32_t shard, int64_t expected,
                                                   const shard_entry& next) {
  return impl_->cas_shard(shard, expected, next);
}

caf::error kv_control_plane::set_state(const std::string& state) {
  return impl_->set_state(state);
}

caf::error kv_control_plane::leave() {
  return impl_->leave();
}

bool kv_control_plane::registered() const {
  return impl_->registered();
}

int64_t kv_control_plane::incarnation() const {
  return impl_->lease.load();
}

std::shared_ptr<kv_control_plane> make_kv_control_plane(kv_ptr store,
                                                        kv_control_plane_options opts) {
  return std::make_shared<kv_control_plane>(std::move(store), std::move(opts));
}

std::optional<shard_entry> rejected_row(const caf::error& err) {
  if (err.category() != caf::atom("runtime")
      || err.code() != static_cast<uint8_t>(runtime_errc::rejected))
    return std::nullopt;
  auto& ctx = err.context();
  if (ctx.size() < 2 || !ctx.match_element<std::string>(1))
    return std::nullopt;
  return layout::decode_shard_row(ctx.get_as<std::string>(1));
}

} // namespace sagaforge::cluster
