// Internals of the fulfillment saga shared by saga.cpp (dispatch, apply), saga_forward.cpp
// (steps, retries, finalize) and saga_compensate.cpp (compensation, late results).
// A saga_run is one decide call: a working copy of the state that every emitted event is
// applied to, so later decisions in the same step see the earlier ones.
#pragma once

#include <string>

#include "actors/fulfillment/saga.hpp"
#include "fulfillment.pb.h"

namespace sagaforge::fulfillment::detail {

using ctx_t = decide_context<SagaEvent>;

enum class result_kind { success, business_failure, transient_failure };

struct saga_run {
  SagaState s;
  ctx_t& ctx;
  const fulfillment_config& cfg;
  std::string id;  // the order id

  void emit(SagaEvent ev);
  int steps() const { return s.steps_size(); }
  int charge_step() const { return s.order().lines_size(); }
  int ship_step() const { return s.order().lines_size() + 1; }
  bool forward() const { return s.status() == SagaState::RUNNING; }
};

void apply_saga(SagaState& s, const SagaEvent& ev);

/// The ref a step's command (and its compensation) goes to.
std::string participant_of(const saga_run& r, int step);

// -- forward (saga_forward.cpp) --
void on_start(saga_run& r, const StartFulfillment& start);
void send_step(saga_run& r, int step, uint32_t attempt);
void on_step_result(saga_run& r, int step, uint32_t attempt, result_kind kind,
                    const std::string& text);
void on_step_timer(saga_run& r, const StepTimeout& t);
void on_retry_timer(saga_run& r, const RetryStep& t);
void on_commit_result(saga_run& r, int line, bool ok);
void on_customer_cancel(saga_run& r, const CustomerCancel& c);

// -- compensation (saga_compensate.cpp) --
/// DONE, RUNNING or RETRY_WAIT: the step may have taken effect, so it is undone.
bool needs_undo(const SagaStep& step);
void start_compensation(saga_run& r, const std::string& reason);
/// Sends undo attempt `attempt` of step k under its durable timeout.
void send_compensation(saga_run& r, int k, uint32_t attempt);
/// Undoes the highest step still needing it, or ends the saga when none is left.
void compensate_next(saga_run& r);
void on_compensated(saga_run& r, int step, uint32_t attempt, bool ok, const std::string& detail);
void on_compensation_failure(saga_run& r, int step, uint32_t attempt, const std::string& why);
void undo_late_result(saga_run& r, int step, const std::string& detail);

// -- operator commands (saga_operator.cpp) --
bool is_operator_command(const inbound& in);
/// RetryNow, CompensateNow, SkipCompensation: planned (saga_operator.hpp), recorded, carried
/// out; answered with the state, or rejected with the plan's reason.
void on_operator_command(saga_run& r, const inbound& in);

} // namespace sagaforge::fulfillment::detail
