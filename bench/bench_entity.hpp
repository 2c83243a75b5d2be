// The benchmark entity ("bench/<id>"): ping-pong partners for the step benchmark and a
// Touch command for the recovery datasets. Messages in schemas/bench.proto.
// Runs inside the runtime's entity actors (CAF workers); the probe is shared by all.
//
// Step latency: the receiver's decide records (now - Ping.sent_ns), where sent_ns is the
// steady clock read in the sender's decide. That hop spans: sender decide -> its group
// commit (durable) -> `committed` back to the sender -> outbox pump -> the receiver's
// mailbox -> receiver decide. Reading the clock in decide is the one impurity, for
// measurement only; the decision itself depends on the runtime clock parameter alone.
#pragma once

#include <atomic>
#include <cstdint>

#include "bench/latency_histogram.hpp"
#include "runtime/entity_logic.hpp"

namespace sagaforge::bench {

/// What the entities report to the benchmark driver.
struct bench_probe {
  latency_histogram hop_ns;
  std::atomic<bool> recording{false};
  size_t event_pad_bytes = 90;
  size_t payload_pad_bytes = 0;
};

/// `snapshot_every`: records between snapshots (0 = never snapshot).
entity_logic_ptr make_bench_logic(bench_probe* probe, uint32_t snapshot_every);

/// "bench/<prefix>-<i>" with i zero-padded to 7 digits (all refs the same length).
std::string bench_ref(const char* prefix, uint64_t i);

} // namespace sagaforge::bench
