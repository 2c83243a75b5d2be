// The command table and dispatch (see commands.hpp).
#include "console/commands.hpp"

#include <iostream>

namespace sagaforge::console {

const std::vector<command>& all_commands() {
  static const std::vector<command> table = [] {
    std::vector<command> out;
    add_entity_commands(out);
    add_view_commands(out);
    add_saga_commands(out);
    add_saga_action_commands(out);
    add_ops_commands(out);
    add_cluster_commands(out);
    return out;
  }();
  return table;
}

outcome failed(const reply& r) {
  outcome o;
  o.code = r.code;
  o.error = r.error_code.empty() ? r.error : r.error_code + ": " + r.error;
  o.doc = {{"error", {{"code", r.error_code.empty() ? "request_failed" : r.error_code},
                      {"message", r.error}, {"status", r.status}, {"exit", r.code}}}};
  return o;
}

outcome usage_error(const std::string& why) {
  outcome o;
  o.code = exit_usage;
  o.error = why;
  o.doc = {{"error", {{"code", "usage"}, {"message", why}, {"exit", exit_usage}}}};
  return o;
}

outcome answer(json doc, std::string text) {
  outcome o;
  o.doc = std::move(doc);
  o.text = std::move(text);
  return o;
}

bool confirmed(session& s, const parsed_args& a, const std::string& what, outcome& o) {
  if (a.has("--yes") || s.assume_yes)
    return true;
  if (!s.interactive || !s.confirm) {
    o = usage_error(what + ": not on a terminal, so nothing was asked; add --yes to confirm");
    return false;
  }
  if (s.confirm(what + "? [y/N] "))
    return true;
  o.code = exit_failed;
  o.error = "not confirmed; nothing was done";
  o.doc = {{"error", {{"code", "not_confirmed"}, {"message", o.error}, {"exit", exit_failed}}}};
  return false;
}

namespace {

outcome help_text() {
  std::string text = "commands:\n";
  json items = json::array();
  for (auto& c : all_commands()) {
    text += "  " + c.usage + "\n      " + c.help + "\n";
    items.push_back({{"command", c.name}, {"usage", c.usage}, {"help", c.help}});
  }
  text += "  help | quit (or Ctrl-D)\n";
  return answer({{"commands", items}}, text);
}

/// The command whose (one- or two-word) name starts `words`; null when none. A two-word name
/// wins over a one-word one ("saga retry X" is the action, "saga X" the timeline).
const command* find_command(const std::vector<std::string>& words, size_t& used) {
  if (words.size() >= 2)
    for (auto& c : all_commands())
      if (c.name == words[0] + " " + words[1]) {
        used = 2;
        return &c;
      }
  for (auto& c : all_commands()) {
    auto sp = c.name.find(' ');
    if (sp == std::string::npos) {
      if (words[0] == c.name) {
        used = 1;
        return &c;
      }
    } else if (words.size() >= 2 && words[0] == c.name.substr(0, sp)
               && words[1] == c.name.substr(sp + 1)) {
      used = 2;
      return &c;
    }
  }
  return nullptr;
}

}  // namespace

outcome run_line(session& s, const std::vector<std::string>& words) {
  if (words.empty())
    return usage_error("no command; 'help' lists them");
  if (words[0] == "help")
    return help_text();
  size_t used = 0;
  auto* c = find_command(words, used);
  if (!c) {
    if (words[0] == "dl")
      return usage_error("dl needs ls, show, replay or drop");
    return usage_error("unknown command '" + words[0].substr(0, 40) + "'; 'help' lists them");
  }
  parsed_args a;
  std::string why;
  std::vector<std::string> rest(words.begin() + static_cast<long>(used), words.end());
  if (c->raw)
    a.positional = rest;
  else if (!parse_args(rest, c->flags, a, why))
    return usage_error(c->name + ": " + why + "; usage: " + c->usage);
  if (a.positional.size() < c->min_args || a.positional.size() > c->max_args)
    return usage_error(c->name + ": wrong number of arguments; usage: " + c->usage);
  return c->run(s, a);
}

int print_outcome(const session& s, const outcome& o) {
  if (s.json_mode)
    std::cout << o.doc.dump(-1, ' ', false, json::error_handler_t::replace) << "\n";
  else if (!o.text.empty())
    std::cout << o.text << (o.text.back() == '\n' ? "" : "\n");
  if (o.code != exit_ok && !o.error.empty())
    std::cerr << "error: " << o.error << "\n";
  std::cout.flush();
  return o.code;
}

}  // namespace sagaforge::console
