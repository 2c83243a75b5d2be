// The operator's actions on a redemption saga (retry its compensations, compensate now, skip
// a compensation that cannot succeed): what each would do in a given state. One pure function
// serves the saga's decide (take or reject the command) and the admin API's preview, so the
// preview an operator confirms is the rule the saga applies. docs/loyalty.md.
#pragma once

#include <string>

#include "redemption.pb.h"

namespace sagaforge::redemption {

enum class operator_action { retry, compensate, skip };

struct operator_plan {
  std::string error;  // not empty: the action makes no sense in this state, and why
  std::string step;   // what it acts on: branch names, or the saga's status
  std::string what;   // what it would do, for a person
  bool ok() const { return error.empty(); }
};

/// What `action` would do to `s`. `branch` (skip only): BRANCH_NONE for every given-up one.
operator_plan plan_operator_action(const RedemptionState& s, operator_action action,
                                   Branch branch = BRANCH_NONE);

} // namespace sagaforge::redemption
