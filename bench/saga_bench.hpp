// saga benchmark: end-to-end sagas through one node (orders through the fulfillment saga,
// or loyalty redemptions), closed loop or at an offered rate; figures via report.
#pragma once

#include <cstdint>
#include <string>

namespace sagaforge::bench {

struct saga_options {
  std::string mode = "order";  // order | redemption
  int64_t sagas = 10000;
  int64_t concurrency = 512;   // closed loop: sagas in flight
  int64_t rate = 0;            // > 0: open loop at this offered rate (sagas/s)
  std::string durability = "fsync";
  int64_t shards = 64;         // sagaforge.store.shard-count
  int64_t max_delay_us = 0;    // sagaforge.commit.max-delay-us
  std::string data_dir;        // default: a fresh scratch folder, removed at exit
  bool json = false;
  bool no_probe = false;  // skip the host probe (under valgrind it would dominate)
};

int run_saga_bench(const saga_options& o);

} // namespace sagaforge::bench
