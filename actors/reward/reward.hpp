// The reward ("reward/<id>"): a catalog entry (name, points cost, active flag) and its
// stock. Validate (active, cost matches), allocate one unit per redemption, release it;
// allocation and release are idempotent per redemption id. Runs inside the runtime's
// entity actors; messages in schemas/reward.proto.
#pragma once

#include "actors/redemption/loyalty_config.hpp"
#include "runtime/entity_logic.hpp"

namespace sagaforge::reward {

entity_logic_ptr make_reward_logic(const loyalty::loyalty_config& cfg = {});

} // namespace sagaforge::reward
