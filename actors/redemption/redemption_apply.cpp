// The redemption saga's State side: apply (total, pure; live, on recovery and in the read
// models), what "settled" means, and the names docs/loyalty.md uses.
#include "actors/redemption/redemption.hpp"
#include "actors/redemption/redemption_steps.hpp"
#include "runtime/invariant.hpp"

namespace sagaforge::redemption {

namespace {

BranchState* mutable_branch(RedemptionState& s, Branch b) {
  switch (b) {
    case POINTS:
      return s.mutable_points();
    case VALIDATION:
      return s.mutable_validation();
    case INVENTORY:
      return s.mutable_inventory();
    default:
      return nullptr;
  }
}

CompensationEntry* ledger_slot(RedemptionState& s, Branch b) {
  for (auto& e : *s.mutable_compensations())
    if (e.branch() == b)
      return &e;
  auto* e = s.add_compensations();
  e->set_branch(b);
  return e;
}

void apply_compensation(RedemptionState& s, const RedemptionEvent& ev) {
  auto at = ev.at_ms();
  switch (ev.kind_case()) {
    case RedemptionEvent::kCompIssued: {
      auto& c = ev.comp_issued();
      auto* e = ledger_slot(s, c.branch());
      e->set_command(c.command());
      if (e->issued_at_ms() == 0)
        e->set_issued_at_ms(at);
      e->set_attempts(c.restart() ? 1 : e->attempts() + 1);
      e->set_status(COMP_PENDING);
      e->set_next_retry_at_ms(0);
      bool parked = false;  // another compensation gave up: the saga stays parked
      for (auto& other : s.compensations())
        parked = parked || other.status() == COMP_FAILED;
      s.set_status(parked ? COMPENSATION_FAILED : COMPENSATING);
      break;
    }
    case RedemptionEvent::kCompConfirmed: {
      auto* e = ledger_slot(s, ev.comp_confirmed().branch());
      e->set_status(COMP_DONE);
      e->set_done_at_ms(at);
      e->set_next_retry_at_ms(0);
      e->set_detail(ev.comp_confirmed().detail());
      break;
    }
    case RedemptionEvent::kCompRetry: {
      auto* e = ledger_slot(s, ev.comp_retry().branch());
      e->set_status(COMP_RETRY_WAIT);
      e->set_next_retry_at_ms(ev.comp_retry().due_at_ms());
      e->set_last_error(ev.comp_retry().error());
      break;
    }
    case RedemptionEvent::kCompGaveUp: {
      auto* e = ledger_slot(s, ev.comp_gave_up().branch());
      e->set_status(COMP_FAILED);
      e->set_next_retry_at_ms(0);
      e->set_last_error(ev.comp_gave_up().error());
      s.set_status(COMPENSATION_FAILED);
      break;
    }
    case RedemptionEvent::kCompensated: {
      bool skipped = false;  // an operator skipped one: the end state says so
      for (auto& e : s.compensations())
        skipped = skipped || e.status() == COMP_SKIPPED;
      s.set_status(skipped ? COMPENSATED_WITH_SKIPS : COMPENSATED);
      break;
    }
    case RedemptionEvent::kCompSkipped: {
      auto* e = ledger_slot(s, ev.comp_skipped().branch());
      e->set_status(COMP_SKIPPED);
      e->set_done_at_ms(at);
      e->set_detail("skipped by operator" + (ev.comp_skipped().note().empty()
                                               ? std::string{}
                                               : ": " + ev.comp_skipped().note()));
      break;
    }
    default:
      break;
  }
}

void apply_forward(RedemptionState& s, const RedemptionEvent& ev) {
  auto at = ev.at_ms();
  switch (ev.kind_case()) {
    case RedemptionEvent::kStarted: {
      auto& st = ev.started();
      s.set_status(STARTED);
      s.set_customer_id(st.customer_id());
      s.set_reward_id(st.reward_id());
      s.set_expected_cost(st.expected_cost());
      s.set_started_at_ms(at);
      s.set_timeout_at_ms(st.timeout_at_ms());
      break;
    }
    case RedemptionEvent::kDispatched:
      s.set_status(AWAITING_EVENTS);
      for (auto b : {POINTS, VALIDATION, INVENTORY})
        mutable_branch(s, b)->set_sent_at_ms(at);
      break;
    case RedemptionEvent::kResolved:
      if (auto* b = mutable_branch(s, ev.resolved().branch())) {
        b->set_outcome(ev.resolved().outcome());
        b->set_detail(ev.resolved().detail());
        b->set_resolved_at_ms(at);
        b->set_late(ev.resolved().late());
      }
      break;
    case RedemptionEvent::kRedeemed:
      s.set_status(COMPLETED);
      s.set_reward_name(ev.redeemed().reward_name());
      break;
    case RedemptionEvent::kFailed:
      s.set_status(FAILED);
      if (s.reason().empty())
        s.set_reason(ev.failed().reason());
      break;
    case RedemptionEvent::KIND_NOT_SET:
      SAGAFORGE_UNREACHABLE("RedemptionEvent of no kind (corrupt, or from a newer build)");
    default:
      apply_compensation(s, ev);
      break;
  }
}

} // namespace

void apply_event(RedemptionState& s, const RedemptionEvent& ev) {
  apply_forward(s, ev);
  if (!is_settled(s))
    s.set_finished_at_ms(0);
  else if (s.finished_at_ms() == 0)
    s.set_finished_at_ms(ev.at_ms());
}

bool is_settled(const RedemptionState& s) {
  switch (s.status()) {
    case COMPLETED:
      return true;
    case FAILED:
    case COMPENSATED:
    case COMPENSATION_FAILED:
    case COMPENSATED_WITH_SKIPS:
      break;
    default:
      return false;
  }
  for (auto b : {POINTS, VALIDATION, INVENTORY})
    if (branch_state(s, b).outcome() == PENDING)
      return false;
  for (auto& e : s.compensations())
    if (e.status() == COMP_PENDING || e.status() == COMP_RETRY_WAIT)
      return false;
  return true;
}

const char* status_name(Status s) {
  switch (s) {
    case NEW:
      return "New";
    case STARTED:
      return "Started";
    case AWAITING_EVENTS:
      return "AwaitingEvents";
    case COMPLETED:
      return "Completed";
    case FAILED:
      return "Failed";
    case COMPENSATING:
      return "Compensating";
    case COMPENSATED:
      return "Compensated";
    case COMPENSATION_FAILED:
      return "CompensationFailed";
    case COMPENSATED_WITH_SKIPS:
      return "CompensatedWithSkips";
    default:
      return "Unknown";
  }
}

const char* branch_name(Branch b) {
  switch (b) {
    case POINTS:
      return "points";
    case VALIDATION:
      return "validation";
    case INVENTORY:
      return "inventory";
    default:
      return "none";
  }
}

const BranchState& branch_state(const RedemptionState& s, Branch b) {
  switch (b) {
    case POINTS:
      return s.points();
    case VALIDATION:
      return s.validation();
    default:
      return s.inventory();
  }
}

namespace detail {

void step::emit(RedemptionEvent ev) {
  ev.set_at_ms(ctx.now_ms());
  apply_event(next, ev);
  ctx.persist(std::move(ev));
}

std::string timeout_timer() {
  return "timeout";
}

std::string retry_timer(Branch b) {
  return std::string{"retry-"} + branch_name(b);
}

std::string participant(const RedemptionState& s, Branch b) {
  return b == POINTS ? "points/" + s.customer_id() : "reward/" + s.reward_id();
}

bool compensable(Branch b) {
  return b == POINTS || b == INVENTORY;
}

bool failure_started(const RedemptionState& s) {
  auto st = s.status();
  return st == FAILED || st == COMPENSATING || st == COMPENSATED || st == COMPENSATION_FAILED
         || st == COMPENSATED_WITH_SKIPS;
}

} // namespace detail

} // namespace sagaforge::redemption
