// The store contract, run against both implementations: atomic batches, ordered scans,
// last_key by prefix; and LMDB survives a reopen.
#define CAF_SUITE runtime.store
#include "caf/test/unit_test.hpp"

#include <unistd.h>

#include <filesystem>

#include "runtime/lmdb_store.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/memory_store.hpp"

using namespace sagaforge;

namespace {

std::string temp_dir() {
  auto p = std::filesystem::temp_directory_path()
           / ("sagaforge-store-test-" + std::to_string(::getpid()));
  std::filesystem::remove_all(p);
  return p.string();
}

void check_contract(store& st) {
  std::vector<mutation> batch;
  for (uint64_t seq : {3, 1, 2})
    batch.push_back(mutation{table::log, log_key(7, seq), "v" + std::to_string(seq), false});
  batch.push_back(mutation{table::log, log_key(8, 1), "other shard", false});
  batch.push_back(mutation{table::snapshots, "counter/a", "snap", false});
  CAF_REQUIRE(!st.write(batch));
  auto v = st.get(table::log, log_key(7, 2));
  CAF_REQUIRE(v);
  CAF_CHECK_EQUAL(**v, "v2");
  CAF_CHECK(!st.get(table::log, log_key(7, 9))->has_value());
  std::vector<uint64_t> seen;
  st.scan(table::log, log_key(7, 2), [&](std::string_view k, std::string_view) {
    seen.push_back(log_key_seq(k));
    return log_key_shard(k) == 7;
  });
  CAF_CHECK_EQUAL(seen, (std::vector<uint64_t>{2, 3, 1}));  // stops after the shard-8 row
  auto last = st.last_key(table::log, shard_prefix(7));
  CAF_REQUIRE(last && *last);
  CAF_CHECK_EQUAL(log_key_seq(**last), 3u);
  CAF_CHECK(!st.last_key(table::log, shard_prefix(9))->has_value());
  CAF_REQUIRE(!st.write({mutation{table::snapshots, "counter/a", "", true}}));
  CAF_CHECK(!st.get(table::snapshots, "counter/a")->has_value());
}

} // namespace

CAF_TEST(memory store keeps the contract) {
  memory_store st;
  check_contract(st);
}

CAF_TEST(lmdb store keeps the contract and survives a reopen) {
  auto dir = temp_dir();
  {
    auto st = lmdb_store::open(dir, durability::fsync, 64);
    CAF_REQUIRE(st);
    check_contract(**st);
  }
  auto st = lmdb_store::open(dir, durability::fsync, 64);
  CAF_REQUIRE(st);
  auto v = (*st)->get(table::log, log_key(8, 1));
  CAF_REQUIRE(v && *v);
  CAF_CHECK_EQUAL(**v, "other shard");
  std::filesystem::remove_all(dir);
}

CAF_TEST(lmdb store reports an unusable directory clearly) {
  auto st = lmdb_store::open("/proc/sagaforge-cannot-exist", durability::fsync, 64);
  CAF_REQUIRE(!st);
  CAF_CHECK_NOT_EQUAL(caf::to_string(st.error()).find("sagaforge-cannot-exist"),
                      std::string::npos);
}
