// Shared helpers of the loyalty suites: a test node with the loyalty types, commands to
// seed accounts and rewards and start sagas, state readers, a timestamp-free fingerprint of
// the domain's final state, and fault doubles — a participant wrapper that holds one
// message type back (never answered, or answered late through a durable timer), one that
// throws on a message type while a flag is set, and a router that delivers everything twice.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "actors/redemption/loyalty_config.hpp"
#include "actors/redemption/redemption.hpp"
#include "points.pb.h"
#include "redemption.pb.h"
#include "reward.pb.h"
#include "runtime/memory_store.hpp"
#include "tests/support/test_node.hpp"

namespace sagaforge::loyalty::testing {

using sagaforge::testing::test_node;

/// Short timeouts and backoffs, so tests move time in seconds.
loyalty_config test_config();

std::vector<entity_logic_ptr> loyalty_types(const loyalty_config& cfg = test_config());

/// Replaces the type named like `replacement` in `types`.
std::vector<entity_logic_ptr> with_type(std::vector<entity_logic_ptr> types,
                                        entity_logic_ptr replacement);

// -- commands (each runs the node until idle) --

void earn(test_node& node, const std::string& customer, int64_t points,
          const std::string& txn = "seed");
void define_reward(test_node& node, const std::string& reward, int64_t cost, int64_t stock,
                   bool active = true);
/// Sends StartRedemption to redemption/<id>; returns the client's seq (see node.ack_for).
uint64_t start(test_node& node, const std::string& id, const std::string& customer,
               const std::string& reward, int64_t cost, const std::string& sender = "client/test");
typed_bytes start_msg(const std::string& customer, const std::string& reward, int64_t cost);

// -- reading state --

redemption::RedemptionState saga(test_node& node, const std::string& id);
points::PointsState account(test_node& node, const std::string& customer);
reward::RewardState reward_of(test_node& node, const std::string& reward);
int64_t held_units(const reward::RewardState& s);
uint64_t log_records(store& st);

/// The domain's final state without timestamps (which move with the clock across a
/// restart): the sagas, accounts and rewards named, as text.
std::string fingerprint(test_node& node, const std::vector<std::string>& sagas,
                        const std::vector<std::string>& customers,
                        const std::vector<std::string>& rewards);

// -- fault doubles --

/// Wraps `inner`: a message of type `held_type` from an entity is not handled when it
/// arrives; with `delay_ms` >= 0 it is handled that much later (a durable timer) and the
/// answer is sent to the original sender, with `delay_ms` < 0 it is never answered.
entity_logic_ptr holding_logic(entity_logic_ptr inner, std::string held_type, int64_t delay_ms);

/// Wraps `inner`: decide throws on `type` while `*broken` is set (poison at the receiver).
entity_logic_ptr throwing_logic(entity_logic_ptr inner, std::string type,
                                std::shared_ptr<std::atomic<bool>> broken);

/// Every delivery and every ack on `node` is routed twice from now on.
void deliver_everything_twice(test_node& node);

} // namespace sagaforge::loyalty::testing
