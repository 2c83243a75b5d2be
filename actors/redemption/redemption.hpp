// The redemption saga ("redemption/<id>"): a parallel saga that deducts points, validates
// the reward and allocates a unit at once, waits for the three results, and completes or
// compensates the branches that succeeded (docs/loyalty.md has the state machine). Runs
// inside the runtime's entity actors; messages in schemas/redemption.proto.
#pragma once

#include "actors/redemption/loyalty_config.hpp"
#include "redemption.pb.h"
#include "runtime/entity_logic.hpp"

namespace sagaforge::redemption {

entity_logic_ptr make_redemption_logic(const loyalty::loyalty_config& cfg = {});

/// The saga's apply: total and pure; read models fold journals with it.
void apply_event(RedemptionState& s, const RedemptionEvent& ev);

/// Nothing more is expected: terminal status, no branch pending, no compensation open.
bool is_settled(const RedemptionState& s);

/// "Completed", "Compensated", ... (the names of docs/loyalty.md).
const char* status_name(Status s);

const char* branch_name(Branch b);

const BranchState& branch_state(const RedemptionState& s, Branch b);

} // namespace sagaforge::redemption
