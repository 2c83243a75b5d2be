// The reference flow the duplicate and crash suites replay: two customers, one reward, one
// redemption that completes and one that is compensated (insufficient points), and the
// crash-free final state to compare against.
#pragma once

#include <string>

#include "tests/actors/loyalty/loyalty_fixture.hpp"

namespace sagaforge::loyalty::testing {

/// Seeds c1 (500 points), c2 (60 points) and r1 (cost 100, stock 5); runs until idle.
inline void seed_flow(test_node& node) {
  earn(node, "c1", 500);
  earn(node, "c2", 60);
  define_reward(node, "r1", 100, 5);
}

/// Sends the two Starts (s1 for c1 completes, s2 for c2 is compensated); does not run.
inline void start_flow(test_node& node, const std::string& sender = "client/test") {
  start(node, "s1", "c1", "r1", 100, sender);
  start(node, "s2", "c2", "r1", 100, sender);
}

inline std::string flow_fingerprint(test_node& node) {
  return fingerprint(node, {"s1", "s2"}, {"c1", "c2"}, {"r1"});
}

/// The final state of the flow without faults.
inline std::string crash_free_fingerprint() {
  auto st = std::make_shared<memory_store>();
  test_node node{st, loyalty_types()};
  seed_flow(node);
  start_flow(node);
  node.run();
  node.advance(std::chrono::seconds{5});
  return flow_fingerprint(node);
}

} // namespace sagaforge::loyalty::testing
