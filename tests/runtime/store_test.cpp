// The store contract, run against both implementations: atomic batches, ordered scans,
// last_key by prefix; and LMDB survives a reopen. Also the format marker a node checks at
// start-up (store_format.hpp).
#define CAF_SUITE runtime.store
#include "caf/test/unit_test.hpp"

#include <unistd.h>

#include <filesystem>

#include "caf/all.hpp"

#include "actors/counter/counter.hpp"
#include "runtime/lmdb_store.hpp"
#include "runtime/errors.hpp"
#include "runtime/log_keys.hpp"
#include "runtime/memory_store.hpp"
#include "runtime/node_runtime.hpp"
#include "runtime/store_format.hpp"

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

namespace {

std::optional<std::string> format_marker(store& st) {
  auto v = st.get(table::meta, store_format_key);
  CAF_REQUIRE(v);
  return *v;
}

void put_marker(store& st, const std::string& text) {
  CAF_REQUIRE(!st.write({mutation{table::meta, std::string{store_format_key}, text, false}}));
}

} // namespace

CAF_TEST(a new store gets the current format marker and keeps it) {
  memory_store st;
  CAF_CHECK(!format_marker(st).has_value());
  CAF_REQUIRE(!check_store_format(st));
  CAF_CHECK_EQUAL(format_marker(st), std::to_string(store_format_current));
  CAF_REQUIRE(!check_store_format(st));  // a restart accepts what it wrote
  CAF_CHECK_EQUAL(format_marker(st), std::to_string(store_format_current));
}

CAF_TEST(an older readable format is accepted and marked current) {
  memory_store st;
  put_marker(st, "1");
  CAF_REQUIRE(!check_store_format(st));
  CAF_CHECK_EQUAL(format_marker(st), std::to_string(store_format_current));
}

CAF_TEST(a newer or unreadable format marker is refused and left as it was) {
  for (std::string text : {std::to_string(store_format_current + 1), std::string{"2x"},
                           std::string{"0"}, std::string{""}, std::string{"02"},
                           std::string{"-1"}, std::string{"99999999999"}}) {
    CAF_MESSAGE("marker '" << text << "'");
    memory_store st;
    put_marker(st, text);
    auto err = check_store_format(st);
    CAF_REQUIRE(err);
    CAF_CHECK_EQUAL(err.code(), static_cast<uint8_t>(runtime_errc::invalid_config));
    CAF_CHECK_NOT_EQUAL(caf::to_string(err).find("format"), std::string::npos);
    CAF_CHECK_EQUAL(format_marker(st), text);
  }
  memory_store st;
  put_marker(st, std::to_string(store_format_current + 1));
  auto msg = caf::to_string(check_store_format(st));
  CAF_CHECK_NOT_EQUAL(msg.find("format " + std::to_string(store_format_current + 1)),
                      std::string::npos);
  put_marker(st, "99999999999");  // too large to hold: newer, not unreadable
  CAF_CHECK_NOT_EQUAL(caf::to_string(check_store_format(st)).find("newer"), std::string::npos);
}

CAF_TEST(a node refuses to start on a store of a newer format) {
  auto st = std::make_shared<memory_store>();
  put_marker(*st, std::to_string(store_format_current + 1));
  runtime_system_config cfg;
  caf::actor_system sys{cfg};
  node_runtime::options opts;
  opts.settings.durability_name = "memory";
  opts.given_store = st;
  opts.threaded_commit = false;
  auto node = node_runtime::start(sys, opts, {counter::make_counter_logic()});
  CAF_REQUIRE(!node);
  CAF_CHECK_EQUAL(node.error().code(), static_cast<uint8_t>(runtime_errc::invalid_config));
  CAF_CHECK_EQUAL(format_marker(*st), std::to_string(store_format_current + 1));
}
