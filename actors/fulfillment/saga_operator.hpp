// The operator's actions on a fulfillment saga (retry what it waits on, compensate now, skip a
// compensation that cannot succeed): what each would do in a given state. One pure function
// serves both the saga's decide (take or reject the command) and the admin API's preview, so
// the preview an operator confirms is the rule the saga applies. docs/fulfillment.md.
#pragma once

#include <string>

#include "fulfillment.pb.h"

namespace sagaforge::fulfillment {

enum class operator_action { retry, compensate, skip };

struct operator_plan {
  std::string error;  // not empty: the action makes no sense in this state, and why
  int step = -1;      // the step it acts on (-1: none)
  std::string what;   // what it would do, for a person
  bool ok() const { return error.empty(); }
};

/// What `action` would do to `s`. `step` (skip only): the step the operator names, -1 for
/// the one the saga is parked on.
operator_plan plan_operator_action(const SagaState& s, operator_action action, int step = -1);

} // namespace sagaforge::fulfillment
