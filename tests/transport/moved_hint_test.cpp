// cluster.moved: a `moved` answer re-routes its receiver at once. A node whose map is stale
// sends to the shard's old owner; the old owner answers `moved` naming the owner and epoch it
// knows; from then on the node's sends for that shard go there under that epoch (a hint),
// until its own confirmed map catches up. Hints never make a node serve a shard (one naming
// the node itself is ignored) and never go back to an older epoch. The router alone, on the
// deterministic coordinator, with frames handed to accept() as the gateway would.
#define CAF_SUITE cluster.moved
#include "caf/test/dsl.hpp"

#include <memory>
#include <string>
#include <utility>

#include "cluster/transport/cluster_router.hpp"
#include "cluster/transport/frame.hpp"

using namespace sagaforge;
using namespace sagaforge::cluster;

namespace {

using destination = std::pair<std::string, uint64_t>;

struct fixture : test_coordinator_fixture<> {
  std::shared_ptr<cluster_router> router;

  fixture() {
    router = std::make_shared<cluster_router>(sys, "n1", 0, link_options{}, 1 << 20,
                                              caf::actor{});
    map(1, "n2", 1);  // shard 1 is n2's at epoch 1 (no members: no links are dialled here)
  }

  ~fixture() {
    router->stop();
    run();
  }

  void map(uint32_t shard, const std::string& owner, uint64_t epoch) {
    cluster_map m;
    m.shard_count = 4;
    m.shards.resize(4, shard_entry{"n1", 1, 0, ""});
    m.shards[shard] = shard_entry{owner, epoch, 0, ""};
    router->update(m);
  }

  /// A frame from `from` holding one `moved` answer for shard 1.
  void moved(const std::string& from, const std::string& owner, uint64_t epoch) {
    frame_item it;
    it.kind = item_kind::moved;
    it.to = "counter/x";
    it.shard = 1;
    it.epoch = epoch;
    it.receiver = owner;
    decoded_frame f;
    f.header.from = from;
    f.items.push_back(it);
    router->accept(f);
  }
};

} // namespace

CAF_TEST_FIXTURE_SCOPE(moved_tests, fixture)

CAF_TEST(a moved answer sends the next tries to the named owner at once) {
  CAF_CHECK_EQUAL(router->destination(1), destination("n2", 1));
  moved("n2", "n3", 2);
  CAF_CHECK_EQUAL(router->destination(1), destination("n3", 2));
  CAF_CHECK_EQUAL(router->counters().moved_in.load(), 1u);
  // Other shards keep their owners.
  CAF_CHECK_EQUAL(router->destination(2), destination("n1", 1));
}

CAF_TEST(an older or equal epoch does not take a hint back) {
  moved("n2", "n3", 3);
  moved("n3", "n4", 2);
  moved("n3", "n4", 3);
  CAF_CHECK_EQUAL(router->destination(1), destination("n3", 3));
  moved("n2", "n2", 1);  // not newer than the confirmed map: ignored
  CAF_CHECK_EQUAL(router->destination(1), destination("n3", 3));
}

CAF_TEST(a hint never makes a node serve a shard) {
  moved("n2", "n1", 5);  // "you own it": only its own confirmed map may say so
  CAF_CHECK_EQUAL(router->destination(1), destination("n2", 1));
  CAF_CHECK(!router->owns(1));
  // And a shard it does own by its map stays its own whatever a peer claims.
  map(1, "n1", 4);
  moved("n2", "n3", 9);
  CAF_CHECK_EQUAL(router->destination(1), destination("n1", 4));
  CAF_CHECK(router->owns(1));
}

CAF_TEST(the confirmed map wins once it catches up) {
  moved("n2", "n3", 2);
  map(1, "n3", 2);
  CAF_CHECK_EQUAL(router->destination(1), destination("n3", 2));
  map(1, "n4", 3);  // the map moved on past the hint
  CAF_CHECK_EQUAL(router->destination(1), destination("n4", 3));
}

CAF_TEST_FIXTURE_SCOPE_END()
