// The operator's actions on a stuck saga: saga retry | compensate | skip. Each asks the node
// for the saga's plan first (a dry run: what it would do, its status and step), prints it,
// stops there with --dry-run, asks for confirmation (the prompt, or --yes) like dl replay,
// then sends the action; the node delivers it to the saga as a journaled operator command
// (admin token; audited). A state where the action makes no sense is the node's 409 (exit 1).
#include "console/commands.hpp"

namespace sagaforge::console {

namespace {

struct saga_target {
  std::string type, id;
};

/// "ID" (with --type, default fulfillment) or "TYPE/ID"; false with the usage error in `o`.
bool saga_target_of(const std::string& cmd, const parsed_args& a, saga_target& t, outcome& o) {
  t.id = a.positional[0];
  t.type = a.get("--type", "fulfillment");
  if (auto slash = t.id.find('/'); slash != std::string::npos) {
    t.type = t.id.substr(0, slash);
    t.id = t.id.substr(slash + 1);
  }
  if (t.type != "fulfillment" && t.type != "redemption") {
    o = usage_error(cmd + ": the type is fulfillment or redemption");
    return false;
  }
  if (t.id.empty() || t.id.size() > 128 || t.id.find_first_of(" \t/") != std::string::npos) {
    o = usage_error(cmd + ": an id is 1..128 characters without blanks or '/'");
    return false;
  }
  return true;
}

/// "retry fulfillment/ORD-1 (RUNNING, at #3 ship to flaky:99): send ... again now"
std::string plan_text(const std::string& action, const saga_target& t, const json& p) {
  auto target = p.value("target", "");
  return action + " " + t.type + "/" + t.id + " (" + p.value("status", "") + ", at "
         + (target.empty() ? std::string{"-"} : target) + "): " + p.value("what", "");
}

outcome saga_action(session& s, const parsed_args& a, const std::string& action) {
  auto cmd = "saga " + action;
  outcome o;
  saga_target t;
  if (!saga_target_of(cmd, a, t, o))
    return o;
  if (a.get("--reason").size() > 200)
    return usage_error(cmd + ": --reason is at most 200 bytes");
  json body = {{"dry_run", true}};
  if (a.has("--reason"))
    body["reason"] = a.get("--reason");
  if (a.has("--step")) {
    if (t.type == "fulfillment") {
      int64_t step = 0;
      if (!parse_count(a.get("--step"), 0, 100000, step))
        return usage_error(cmd + ": --step of a fulfillment saga is a step index (# in 'saga ID')");
    } else if (a.get("--step") != "points" && a.get("--step") != "inventory") {
      return usage_error(cmd + ": --step of a redemption is points or inventory");
    }
    body["step"] = a.get("--step");
  }
  auto path = "/admin/v1/sagas/" + t.type + "/" + url_encode(t.id) + "/" + action;
  auto preview = s.node->post(path, body);
  if (!preview.ok())
    return failed(preview);
  auto what = plan_text(action, t, preview.body);
  s.refs.insert(t.type + "/" + t.id);
  if (a.has("--dry-run"))
    return answer(preview.body, "would " + what + "\n");
  if (!confirmed(s, a, what, o))
    return o;
  body["dry_run"] = false;
  auto r = s.node->post(path, body);
  if (!r.ok())
    return failed(r);
  return answer(r.body, "done: " + what + "\nstatus: " + r.body.value("status", "") + "\n");
}

outcome saga_retry(session& s, const parsed_args& a) {
  return saga_action(s, a, "retry");
}

outcome saga_compensate(session& s, const parsed_args& a) {
  return saga_action(s, a, "compensate");
}

outcome saga_skip(session& s, const parsed_args& a) {
  return saga_action(s, a, "skip");
}

}  // namespace

void add_saga_action_commands(std::vector<command>& out) {
  flag_spec with_reason{{"--type", "--reason"}, {"--dry-run", "--yes"}};
  out.push_back({"saga retry", "saga retry ID|TYPE/ID [--reason R] [--dry-run] [--yes]",
                 "resend now what a saga waits on: its step (a new attempt), its undo, or a parked "
                 "undo (asks first)",
                 with_reason, 1, 1, false, saga_retry});
  out.push_back({"saga compensate", "saga compensate ID|TYPE/ID [--reason R] [--dry-run] [--yes]",
                 "stop a running saga and compensate it (asks first)", with_reason, 1, 1, false,
                 saga_compensate});
  out.push_back({"saga skip",
                 "saga skip ID|TYPE/ID [--step S] [--reason R] [--dry-run] [--yes]",
                 "skip a compensation that cannot succeed and finish the rest (asks first)",
                 {{"--type", "--reason", "--step"}, {"--dry-run", "--yes"}}, 1, 1, false,
                 saga_skip});
}

}  // namespace sagaforge::console
