// sagaforge-console: a client of a node's admin API (docs/console.md).
//   sagaforge-console [--url URL] [--token T] [--json] [--no-color] [--yes] [-c 'CMD']... [CMD...]
// One command from the command line (-c or the trailing words), commands from a
// non-terminal stdin (one a line; stops at the first failure), else the interactive prompt.
// The exit code is the failing command's (admin_client.hpp: 1 refused, 2 usage, 3 unreachable,
// 4 token refused).
#include <cstdlib>
#include <iostream>
#include <string>

#include <unistd.h>

#include <CLI/CLI.hpp>

#include "console/repl.hpp"

using namespace sagaforge::console;

namespace {

std::string env_or(const char* name, const std::string& fallback) {
  auto* v = std::getenv(name);
  return v && *v ? std::string{v} : fallback;
}

int run_words(session& s, const std::vector<std::string>& words) {
  return print_outcome(s, run_line(s, words));
}

int run_text(session& s, const std::string& line) {
  std::vector<std::string> words;
  std::string why;
  if (!split_words(line, words, why))
    return print_outcome(s, usage_error(why));
  return run_words(s, words);
}

int run_stdin(session& s) {
  std::string line;
  int code = exit_ok;
  while (code == exit_ok && std::getline(std::cin, line)) {
    auto first = line.find_first_not_of(" \t\r");
    if (first == std::string::npos || line[first] == '#')
      continue;
    code = run_text(s, line);
  }
  return code;
}

}  // namespace

int main(int argc, char** argv) {
  CLI::App app{"sagaforge-console: look into and operate a sagaforge node through its admin API"};
  std::string url = env_or("SAGAFORGE_URL", "http://127.0.0.1:9470");
  std::string token = env_or("SAGAFORGE_TOKEN", "");
  std::string history = env_or("SAGAFORGE_HISTORY", env_or("HOME", ".") + "/.sagaforge_console_history");
  std::vector<std::string> commands;
  bool json_mode = false, no_color = false, yes = false;
  app.add_option("--url", url, "the node, http://HOST:PORT (env SAGAFORGE_URL)");
  app.add_option("--token", token, "bearer token of the read or admin role (env SAGAFORGE_TOKEN)");
  app.add_option("-c,--command", commands, "run this command and exit (repeatable)")
    ->allow_extra_args(false);  // one command per -c; later words are not more commands
  app.add_flag("--json", json_mode, "print one JSON document per command");
  app.add_flag("--no-color", no_color, "no colour (also when NO_COLOR is set)");
  app.add_flag("--yes", yes, "answer yes to confirmations (scripts)");
  app.add_option("--history-file", history, "the prompt's history (env SAGAFORGE_HISTORY)");
  app.footer("Commands: sagaforge-console help (or 'help' at the prompt); docs/console.md.\n"
             "Exit codes: 0 done, 1 refused by the node, 2 usage, 3 node unreachable, 4 token refused.");
  app.prefix_command();  // everything after the first non-option word is the command
  try {
    app.parse(argc, argv);
  } catch (const CLI::ParseError& e) {
    int rc = app.exit(e);
    return rc == 0 ? 0 : exit_usage;
  }
  session s;
  std::string why;
  s.node = admin_client::make(url, token, why);
  if (!s.node) {
    std::cerr << "error: " << why << "\n";
    return exit_usage;
  }
  // Global switches after the command (`sagaforge-console ls order --json`) count too.
  std::vector<std::string> rest;
  for (auto& w : app.remaining()) {
    if (w == "--json")
      json_mode = true;
    else if (w == "--yes")
      yes = true;
    else if (w == "--no-color")
      no_color = true;
    else
      rest.push_back(w);
  }
  s.style = render_style::detect(no_color || json_mode);
  s.json_mode = json_mode;
  s.assume_yes = yes;
  if (!commands.empty() && !rest.empty()) {
    std::cerr << "error: give the command with -c or after the options, not both\n";
    return exit_usage;
  }
  int code = exit_ok;
  for (auto& c : commands)
    if (int rc = run_text(s, c); rc != exit_ok && code == exit_ok)
      code = rc;
  if (!commands.empty())
    return code;
  if (!rest.empty())
    return run_words(s, rest);
  if (::isatty(STDIN_FILENO) == 1)
    return run_repl(s, history);
  return run_stdin(s);
}
