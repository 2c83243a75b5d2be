// The admin API's saga actions (admin role; audited by the route table like every admin call):
// POST /admin/v1/sagas/{type}/{id}/{retry|compensate|skip}. A dry run answers the saga's plan
// (what it would do, its status and step) from its state without a step; otherwise the
// operator command goes to the saga through the node's client, so it is journaled and
// de-duplicated like any command, and the saga itself decides (the same plan). An action the
// saga's state does not allow is a 409 with the reason, whether the preview or the saga says so.
#include "actors/fulfillment/saga_operator.hpp"
#include "actors/redemption/redemption_operator.hpp"
#include "http/routes.hpp"
#include "runtime/entity_peek.hpp"
#include "runtime/entity_ref.hpp"
#include "runtime/errors.hpp"
#include "runtime/live_inspect.hpp"

namespace sagaforge::http {

namespace {

struct saga_action_request {
  std::string type, id, action;
  bool dry_run = false;
  std::string reason;  // the operator's note (compensate: part of the saga's reason)
  std::string step;    // skip: a fulfillment step index, or a redemption branch
};

/// The path and body; false when answered (400).
bool parse_action(const httplib::Request& req, httplib::Response& res, saga_action_request& out) {
  out.type = req.matches[1];
  out.action = req.matches[3];
  if (out.type != "fulfillment" && out.type != "redemption") {
    send_error(res, 400, "invalid_argument", "the saga type is fulfillment or redemption", "type");
    return false;
  }
  if (out.action != "retry" && out.action != "compensate" && out.action != "skip") {
    send_error(res, 400, "invalid_argument", "the action is retry, compensate or skip", "action");
    return false;
  }
  if (!path_id(req, res, 2, "id", out.id))
    return false;
  auto body = json::parse(req.body.empty() ? "{}" : req.body, nullptr, false);
  if (body.is_discarded() || !body.is_object()) {
    send_error(res, 400, "invalid_json",
               "the body is {\"dry_run\": bool, \"reason\": \"...\", \"step\": \"...\"} (each optional)");
    return false;
  }
  for (auto& [key, v] : body.items()) {
    bool ok = key == "dry_run" ? v.is_boolean()
              : key == "reason" ? v.is_string() && v.get<std::string>().size() <= 200
              : key == "step" ? v.is_string() && v.get<std::string>().size() <= 40
                                  && out.action == "skip"
                              : false;
    if (!ok) {
      send_error(res, 400, "invalid_argument",
                 "'" + key.substr(0, 40)
                   + "' is not one of dry_run (bool), reason (string, at most 200 bytes), step "
                     "(string, skip only)",
                 key.substr(0, 40));
      return false;
    }
  }
  out.dry_run = body.value("dry_run", false);
  out.reason = body.value("reason", "");
  out.step = body.value("step", "");
  return true;
}

/// The saga's state without a step: live when active, else stored; in a cluster, from the
/// member that serves it (the action itself is routed there like any command). False when
/// answered.
bool saga_report(face_context& fc, const std::string& ref, httplib::Response& res,
                 EntityReport& out) {
  auto& ctx = fc.node.context();
  auto* remote = ctx.remote();
  bool elsewhere = remote != nullptr && !remote->is_local(ref);
  if (!elsewhere) {
    if (auto live = inspect_if_active(ctx, ref, std::chrono::milliseconds{2000})) {
      out = std::move(*live);
      return true;
    }
  }
  // node_runtime::inspect asks the serving member when the ref lives elsewhere.
  auto rep = elsewhere ? fc.node.inspect(ref, std::chrono::milliseconds{2000})
                       : peek_entity(ctx, ref);
  if (!rep) {
    if (rep.error() == runtime_errc::not_found)
      send_error(res, 404, "not_found", std::string{elsewhere ? "the cluster" : "the node"}
                                          + " has no record of saga " + ref);
    else
      send_runtime_error(res, rep.error());
    return false;
  }
  out = std::move(*rep);
  return true;
}

/// One saga type's side of an action: its plan and its command.
struct saga_plan {
  std::string error, target, what, status;
  typed_bytes command;
};

/// Fulfillment: `step` is a step index; false when answered (400, 500).
bool plan_fulfillment(const saga_action_request& rq, const EntityReport& rep,
                      httplib::Response& res, saga_plan& out) {
  using namespace fulfillment;
  SagaState s;
  if (!state_as(rep, res, s))
    return false;
  int step = -1;
  if (!rq.step.empty()) {
    char* end = nullptr;
    auto n = std::strtol(rq.step.c_str(), &end, 10);
    if (*end != '\0' || n < 0 || n > 100000) {
      send_error(res, 400, "invalid_argument",
                 "step is a fulfillment step index (the # column of 'saga ID')", "step");
      return false;
    }
    step = static_cast<int>(n);
  }
  auto action = rq.action == "retry" ? operator_action::retry
                : rq.action == "compensate" ? operator_action::compensate
                                            : operator_action::skip;
  auto p = plan_operator_action(s, action, step);
  out.error = p.error;
  out.what = p.what;
  out.status = SagaState::Status_Name(s.status());
  if (p.step >= 0 && p.step < s.steps_size())
    out.target = "#" + std::to_string(p.step) + " " + s.steps(p.step).name();
  if (action == operator_action::retry) {
    RetryNow c;
    c.set_note(rq.reason);
    out.command = typed_bytes::of(c);
  } else if (action == operator_action::compensate) {
    CompensateNow c;
    c.set_reason(rq.reason);
    out.command = typed_bytes::of(c);
  } else {
    SkipCompensation c;
    if (step >= 0)
      c.set_step(step);
    c.set_note(rq.reason);
    out.command = typed_bytes::of(c);
  }
  return true;
}

/// Redemption: `step` is a branch (points, inventory); false when answered (400, 500).
bool plan_redemption(const saga_action_request& rq, const EntityReport& rep,
                     httplib::Response& res, saga_plan& out) {
  using namespace redemption;
  RedemptionState s;
  if (!state_as(rep, res, s))
    return false;
  Branch branch = BRANCH_NONE;
  if (rq.step == "points") {
    branch = POINTS;
  } else if (rq.step == "inventory") {
    branch = INVENTORY;
  } else if (!rq.step.empty()) {
    send_error(res, 400, "invalid_argument", "step of a redemption is points or inventory", "step");
    return false;
  }
  auto action = rq.action == "retry" ? operator_action::retry
                : rq.action == "compensate" ? operator_action::compensate
                                            : operator_action::skip;
  auto p = plan_operator_action(s, action, branch);
  out.error = p.error;
  out.what = p.what;
  out.target = p.step;
  out.status = Status_Name(s.status());
  if (action == operator_action::retry) {
    out.command = typed_bytes::of(RetryCompensations{});
  } else if (action == operator_action::compensate) {
    CompensateNow c;
    c.set_reason(rq.reason);
    out.command = typed_bytes::of(c);
  } else {
    SkipCompensation c;
    c.set_branch(branch);
    c.set_note(rq.reason);
    out.command = typed_bytes::of(c);
  }
  return true;
}

std::string status_of_state(const std::string& type, const std::string& bytes) {
  if (type == "fulfillment") {
    fulfillment::SagaState s;
    return s.ParseFromString(bytes) ? fulfillment::SagaState::Status_Name(s.status()) : "";
  }
  redemption::RedemptionState s;
  return s.ParseFromString(bytes) ? redemption::Status_Name(s.status()) : "";
}

void saga_action(face_context& fc, const httplib::Request& req, httplib::Response& res) {
  saga_action_request rq;
  if (!parse_action(req, res, rq))
    return;
  auto ref = rq.type + "/" + rq.id;
  EntityReport rep;
  if (!saga_report(fc, ref, res, rep))
    return;
  saga_plan p;
  if (!(rq.type == "fulfillment" ? plan_fulfillment(rq, rep, res, p)
                                 : plan_redemption(rq, rep, res, p)))
    return;
  if (!p.error.empty())
    return send_error(res, 409, "saga_state", rq.action + " " + ref + ": " + p.error);
  json out = {{"saga", rq.type}, {"id", rq.id},       {"action", rq.action},
              {"dry_run", rq.dry_run}, {"status", p.status}, {"target", p.target},
              {"what", p.what}};
  if (rq.dry_run) {
    res.set_header(dry_run_header, "1");
    return send_json(res, 200, out);
  }
  auto ack = fc.node.ask_raw(ref, p.command, fc.ask_timeout, "operator");
  if (!ack && ack.error() == runtime_errc::rejected)  // the state moved since the plan
    return send_error(res, 409, "saga_state", rq.action + " " + ref + ": " + describe(ack.error()));
  if (!ack)
    return send_runtime_error(res, ack.error());
  out["status"] = status_of_state(rq.type, ack->reply_payload());
  out["state"] = payload_json(ack->reply_type(), ack->reply_payload());
  send_json(res, 200, out);
}

}  // namespace

void add_admin_saga_routes(route_table& t, face_context& fc) {
  auto* f = &fc;
  t.add("POST", std::string{"/admin/v1/sagas/"} + seg + "/" + seg + "/(retry|compensate|skip)",
        "/admin/v1/sagas/{type}/{id}/{action}", area::admin_write,
        [f](auto& req, auto& res) { saga_action(*f, req, res); });
}

}  // namespace sagaforge::http
