// cluster.dataplane: two nodes in one process, each its own CAF actor system with its own
// middleman, LMDB store and runtime, joined through a shared in-memory map
// (tests/support/shared_map_control_plane.hpp) and talking over real loopback sockets
// (plain BASP: the TLS path is exercised by the multi-process tests).
//
// Asserted: a command sent on one node to an entity whose shard the other owns is applied
// there once and answered back to the first node's client; counters forwarding to counters
// of the other node apply every unit once; an entity is active only on its shard's owner;
// a node asked about a ref it does not own answers through the owner (remote inspect);
// while the owner's node is gone, sends are held (no attempt counted, no dead letter) and
// flow when it returns on the same folder.
#define CAF_SUITE cluster.dataplane
#include "caf/test/unit_test.hpp"

#include <chrono>
#include <filesystem>
#include <memory>
#include <string>
#include <thread>

#include "caf/all.hpp"
#include "caf/io/all.hpp"

#include "actors/counter/counter.hpp"
#include "cluster/transport/cluster_member.hpp"
#include "counter.pb.h"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/runtime_config.hpp"
#include "tests/support/shared_map_control_plane.hpp"
#include "tests/support/temp_dir.hpp"

using namespace sagaforge;
using namespace std::chrono_literals;
using clock_type = std::chrono::steady_clock;

namespace {

constexpr uint32_t shards = 8;

struct system_config : runtime_system_config {
  system_config() {
    load<caf::io::middleman>();
    set("middleman.heartbeat-interval", caf::timespan{200ms});
  }
};

/// One node: actor system, runtime, membership. Stoppable and restartable on its folder.
struct test_member {
  std::string id;
  std::string dir;
  std::shared_ptr<testing::shared_cluster> cluster;
  std::unique_ptr<system_config> cfg;
  std::unique_ptr<caf::actor_system> sys;
  std::unique_ptr<cluster::cluster_member> member;
  std::unique_ptr<node_runtime> node;

  test_member(std::string node_id, std::string folder, std::shared_ptr<testing::shared_cluster> c)
    : id(std::move(node_id)), dir(std::move(folder)), cluster(std::move(c)) {}

  ~test_member() {
    stop();
  }

  void start() {
    runtime_settings s;
    s.data_dir = dir;
    s.durability_name = "nosync";
    s.map_size_mb = 256;
    s.shard_count = shards;
    s.log_level = "warn";
    s.cluster_mode = "etcd";
    s.cluster_node_id = id;
    s.retry_initial_backoff_ms = 100;
    s.retry_max_backoff_ms = 400;
    s.cluster_held_recheck_ms = 100;
    s.cluster_connection_timeout_ms = 1000;
    cfg = std::make_unique<system_config>();
    sys = std::make_unique<caf::actor_system>(*cfg);
    auto opened = node_runtime::open_store(s);
    if (!opened)
      CAF_FAIL(id << ": open_store: " << describe(opened.error()));
    auto joined = cluster::cluster_member::join(*sys, s, opened->store_id, cluster->view(id),
                                                false);
    if (!joined)
      CAF_FAIL(id << ": join: " << describe(joined.error()));
    member = std::move(*joined);
    node_runtime::options opts;
    opts.settings = s;
    opts.given_store = opened->st;
    member->configure(opts);
    auto rt = node_runtime::start(*sys, opts, {counter::make_counter_logic()});
    if (!rt)
      CAF_FAIL(id << ": start: " << describe(rt.error()));
    node = std::move(*rt);
    member->attach(*node);
  }

  /// A clean stop (the member leaves the map, as a lease expiry would take it out).
  void stop() {
    if (!sys)
      return;
    if (member)
      member->leave();
    if (node)
      node->shutdown();
    auto deadline = clock_type::now() + 20s;
    while (sys->registry().running() > 0 && clock_type::now() < deadline)
      std::this_thread::sleep_for(10ms);
    CAF_MESSAGE(id << ": " << sys->registry().running() << " actors running after shutdown");
    node.reset();
    member.reset();
    CAF_MESSAGE(id << ": destroying the actor system");
    sys.reset();
    CAF_MESSAGE(id << ": stopped");
    cfg.reset();
  }

  bool owns(const std::string& ref) const {
    auto map = cluster->current();
    return map.shards[shard_of(ref, shards)].owner == id;
  }
};

counter::CounterState state_of(const EntityReport& rep) {
  counter::CounterState s;
  if (!s.ParseFromString(rep.state()))
    CAF_FAIL(rep.ref() << ": state does not parse");
  return s;
}

struct fixture {
  std::string base = sagaforge::testing::make_temp_dir("sagaforge-dataplane");
  std::shared_ptr<testing::shared_cluster> cluster =
    std::make_shared<testing::shared_cluster>(shards, std::vector<std::string>{"n1", "n2"});
  test_member n1{"n1", base + "/n1", cluster};
  test_member n2{"n2", base + "/n2", cluster};

  fixture() {
    std::filesystem::create_directories(base + "/n1");
    std::filesystem::create_directories(base + "/n2");
    n1.start();
    n2.start();
    wait_connected();
  }

  ~fixture() {
    n1.stop();
    n2.stop();
    std::error_code ec;
    std::filesystem::remove_all(base, ec);
  }

  /// Both links up (each node dialled the other).
  void wait_connected() {
    auto deadline = clock_type::now() + 10s;
    auto up = [](test_member& m) {
      auto ps = m.member->router().peers();
      return ps.size() == 1 && ps[0].state == "up";
    };
    while (!(up(n1) && up(n2)) && clock_type::now() < deadline)
      std::this_thread::sleep_for(20ms);
    for (auto* m : {&n1, &n2})
      for (auto& p : m->member->router().peers())
        CAF_MESSAGE(m->id << " sees " << p.node << ": " << p.state);
    CAF_REQUIRE(up(n1) && up(n2));
  }

  /// A ref of the counter type that `m` owns (the i-th one found).
  std::string owned_by(test_member& m, int i = 0) {
    for (int k = 0;; ++k) {
      auto ref = "counter/c" + std::to_string(k);
      if (m.owns(ref) && i-- == 0)
        return ref;
    }
  }

  int64_t value_on(test_member& m, const std::string& ref) {
    auto rep = m.node->inspect(ref, 10s);
    if (!rep)
      CAF_FAIL("inspect " << ref << " on " << m.id << ": " << describe(rep.error()));
    return state_of(*rep).value();
  }

  /// Polls `ref` (through node `via`) until its value is `want`; false after `timeout`.
  bool reaches(test_member& via, const std::string& ref, int64_t want,
               std::chrono::milliseconds timeout = 20s) {
    auto deadline = clock_type::now() + timeout;
    for (;;) {
      auto rep = via.node->inspect(ref, 5s);
      if (rep && state_of(*rep).value() == want)
        return true;
      if (clock_type::now() > deadline)
        return false;
      std::this_thread::sleep_for(50ms);
    }
  }
};

counter::Add add(int64_t n) {
  counter::Add a;
  a.set_amount(n);
  return a;
}

} // namespace

CAF_TEST_FIXTURE_SCOPE(dataplane_tests, fixture)

CAF_TEST(a command for a shard of another node is applied there once and answered here) {
  auto ref = owned_by(n2);
  auto ack = n1.node->ask(ref, add(5), 10s);
  CAF_REQUIRE(ack);
  CAF_CHECK(!ack->failed());
  auto ack2 = n1.node->ask(ref, add(2), 10s);
  CAF_REQUIRE(ack2);
  CAF_CHECK_EQUAL(value_on(n2, ref), 7);
  // Active only where its shard lives; n1 reads it through n2.
  CAF_CHECK_EQUAL(value_on(n1, ref), 7);
  CAF_CHECK(static_cast<bool>(n2.node->context().dir().lookup(ref, false)));
  CAF_CHECK(!static_cast<bool>(n1.node->context().dir().lookup(ref, false)));
  CAF_CHECK_GREATER(n1.member->router().counters().items_out.load(), 0u);
  CAF_CHECK_GREATER(n2.member->router().counters().items_in.load(), 0u);
}

CAF_TEST(forwards between entities on both nodes apply every unit once) {
  // Sources on n1 forward to a sink on n2 and the reverse: entity-to-entity durable delivery
  // across the link in both directions, acks included.
  auto sink2 = owned_by(n2, 0);
  auto sink1 = owned_by(n1, 0);
  constexpr int rounds = 50;
  for (int i = 0; i < rounds; ++i) {
    counter::Forward f;
    f.set_to(sink2);
    f.set_amount(1);
    CAF_REQUIRE(n1.node->ask(owned_by(n1, 1 + i % 4), f, 10s));
    counter::Forward g;
    g.set_to(sink1);
    g.set_amount(1);
    CAF_REQUIRE(n2.node->ask(owned_by(n2, 1 + i % 4), g, 10s));
  }
  CAF_CHECK(reaches(n1, sink2, rounds));
  CAF_CHECK(reaches(n2, sink1, rounds));
  // Nothing more arrives later (no duplicate after the acks settle).
  std::this_thread::sleep_for(500ms);
  CAF_CHECK_EQUAL(value_on(n2, sink2), rounds);
  CAF_CHECK_EQUAL(value_on(n1, sink1), rounds);
  CAF_CHECK_EQUAL(n1.node->context().counters().dead_letters.load(), 0u);
}

CAF_TEST(sends to a node that is gone are held and flow when it returns) {
  auto source = owned_by(n1, 0);
  auto sink = owned_by(n2, 0);
  n2.stop();  // leaves the map: its shards' owner is not a member now
  for (int i = 0; i < 5; ++i) {
    counter::Forward f;
    f.set_to(sink);
    f.set_amount(1);
    CAF_REQUIRE(n1.node->ask(source, f, 10s));
  }
  // Held for longer than several backoffs: no attempt counted, nothing dead-lettered.
  std::this_thread::sleep_for(2s);
  CAF_CHECK_EQUAL(n1.node->context().counters().dead_letters.load(), 0u);
  CAF_CHECK_GREATER(n1.node->context().counters().held_sends.load(), 0u);
  n2.start();
  CAF_CHECK(reaches(n1, sink, 5));
  CAF_CHECK_EQUAL(n1.node->context().counters().dead_letters.load(), 0u);
}

CAF_TEST(after the map moves a shard sends go to its new owner and the old one activates nothing) {
  auto ref = owned_by(n2, 0);
  CAF_REQUIRE(n1.node->ask(ref, add(1), 10s));
  // No data is copied here (that is shard handoff's job): what is checked is the routing and
  // the serving rule on both sides once the map changed.
  cluster->reassign(shard_of(ref, shards), "n1");
  auto other = owned_by(n2, 1);  // still n2's
  CAF_CHECK(n2.owns(other));
  std::string moved_ref;  // a ref of the moved shard never seen before
  for (int k = 0; moved_ref.empty(); ++k)
    if (auto r = "counter/m" + std::to_string(k); shard_of(r, shards) == shard_of(ref, shards))
      moved_ref = r;
  CAF_REQUIRE(n2.node->ask(moved_ref, add(3), 10s));  // sent on n2, served by n1
  CAF_CHECK(static_cast<bool>(n1.node->context().dir().lookup(moved_ref, false)));
  CAF_CHECK(!static_cast<bool>(n2.node->context().dir().lookup(moved_ref, false)));
  CAF_CHECK_EQUAL(value_on(n1, moved_ref), 3);
  CAF_REQUIRE(n1.node->ask(other, add(2), 10s));  // the rest of n2's shards stay there
  CAF_CHECK(static_cast<bool>(n2.node->context().dir().lookup(other, false)));
}

CAF_TEST_FIXTURE_SCOPE_END()
