// cluster.control.model: the pieces under the contract, on their own and on a test clock:
// the map kept from watch events never goes back on a late or repeated event
// (kv_layout's map_builder), and memory_kv's leases expire on its clock, taking their keys
// with them, in one revision that its watches report.
#define CAF_SUITE cluster.control.model
#include "caf/test/unit_test.hpp"

#include <atomic>
#include <mutex>

#include "cluster/control/kv_layout.hpp"
#include "cluster/control/memory_kv.hpp"
#include "tests/cluster/control_contract.hpp"

using namespace sagaforge::cluster;
using sagaforge::testing::eventually;

namespace {

const std::string root = layout::root("m");

kv_entry entry(const std::string& key, const std::string& value, int64_t rev) {
  return kv_entry{key, value, rev, rev, 0};
}

kv_range snapshot() {
  kv_range r;
  r.revision = 5;
  r.kvs.push_back(entry(layout::meta_key(root), layout::encode_meta(2, 0), 2));
  r.kvs.push_back(entry(layout::shard_key(root, 0), layout::encode_shard({"a", 1, 0, ""}), 5));
  r.kvs.push_back(entry(layout::shard_key(root, 1), layout::encode_shard({"b", 1, 0, ""}), 2));
  return r;
}

} // namespace

CAF_TEST(a late shard event does not undo a newer row) {
  layout::map_builder b{root};
  b.reset(snapshot());
  auto late = entry(layout::shard_key(root, 0), layout::encode_shard({"b", 7, 0, ""}), 4);
  CAF_CHECK(!b.apply(kv_event{false, late}));
  CAF_CHECK_EQUAL(b.map().shards[0].owner, "a");
  auto newer = entry(layout::shard_key(root, 0), layout::encode_shard({"b", 2, 0, ""}), 6);
  CAF_CHECK(b.apply(kv_event{false, newer}));
  CAF_CHECK(!b.apply(kv_event{false, newer}));  // delivered twice
  CAF_CHECK_EQUAL(b.map().shards[0].owner, "b");
  CAF_CHECK_EQUAL(b.map().shards[0].mod_revision, 6);
}

CAF_TEST(a repeated delete does not remove a member that registered again) {
  layout::map_builder b{root};
  b.reset(snapshot());
  member_info m;
  m.node = "a";
  m.incarnation = 11;
  auto key = layout::member_key(root, "a");
  CAF_CHECK(b.apply(kv_event{false, entry(key, layout::encode_member(m, 0), 7)}));
  kv_entry gone{key, "", 0, 8, 0};
  CAF_CHECK(b.apply(kv_event{true, gone}));
  m.incarnation = 12;
  CAF_CHECK(b.apply(kv_event{false, entry(key, layout::encode_member(m, 0), 9)}));
  CAF_CHECK(!b.apply(kv_event{true, gone}));  // the delete again, late
  CAF_REQUIRE_EQUAL(b.map().members.count("a"), 1u);
  CAF_CHECK_EQUAL(int64_t{b.map().members.at("a").incarnation}, 12);
}

CAF_TEST(a memory lease expires on the test clock with its keys in one revision) {
  std::atomic<int64_t> now{1000};
  memory_kv_store store{[&] { return now.load(); }};
  auto kv = store.connect();
  auto l = kv->grant(3000);
  CAF_REQUIRE(l);
  CAF_REQUIRE(kv->put("/k/1", "x", l->id));
  CAF_REQUIRE(kv->put("/k/2", "y", l->id));
  std::mutex mtx;
  std::vector<kv_event> seen;
  int64_t seen_rev = 0;
  kv_watch_handler h;
  h.on_events = [&](const std::vector<kv_event>& evs, int64_t rev) {
    std::lock_guard<std::mutex> g{mtx};
    seen.insert(seen.end(), evs.begin(), evs.end());
    seen_rev = rev;
  };
  auto w = kv->watch("/k/", store.revision() + 1, h);
  now += 2000;
  CAF_CHECK(kv->keepalive(l->id));  // renewed: 3 s from 3000
  now += 2500;
  std::this_thread::sleep_for(std::chrono::milliseconds(100));
  CAF_CHECK_EQUAL(kv->range("/k/")->kvs.size(), 2u);
  now += 600;  // past 6000
  CAF_CHECK(eventually([&] {
    std::lock_guard<std::mutex> g{mtx};
    return seen.size() == 2;
  }));
  std::lock_guard<std::mutex> g{mtx};
  CAF_CHECK(seen[0].deleted && seen[1].deleted);
  CAF_CHECK_EQUAL(seen[0].kv.mod_revision, seen[1].kv.mod_revision);
  CAF_CHECK_EQUAL(seen_rev, seen[0].kv.mod_revision);
  CAF_CHECK(kv->range("/k/")->kvs.empty());
  CAF_CHECK(!kv->keepalive(l->id));
}
