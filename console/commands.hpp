// The console's commands: one table of them (name, usage, flags, handler), shared by the
// one-shot (-c), stdin-script and interactive modes. A handler calls the node through the
// session's admin_client and returns one JSON document (what --json prints) plus the text a
// person reads; it never prints itself, so --json output is exactly one document.
// Single-threaded: one session per process.
#pragma once

#include <functional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include "console/admin_client.hpp"
#include "console/args.hpp"
#include "console/render.hpp"

namespace sagaforge::console {

struct outcome {
  int code = exit_ok;
  json doc;            // --json: printed as is (an error is {"error": {...}})
  std::string text;    // otherwise printed to stdout
  std::string error;   // printed to stderr when code != 0
};

struct session {
  std::unique_ptr<admin_client> node;
  render_style style;
  bool json_mode = false;
  bool interactive = false;  // a person at a terminal: confirmations are asked
  bool assume_yes = false;   // --yes given on the console's command line
  /// Asks a yes/no question on the terminal (the REPL installs it); null: cannot ask.
  std::function<bool(const std::string&)> confirm;
  // What completion offers besides commands: from the last listings.
  std::set<std::string> types, refs, dead_letter_ids;
};

using handler_fn = std::function<outcome(session&, const parsed_args&)>;

struct command {
  std::string name;   // "ls", "dl ls"
  std::string usage;  // "ls TYPE [--mode active|passivated] [--after REF] [-n N]"
  std::string help;
  flag_spec flags;
  size_t min_args = 0, max_args = 0;
  bool read_only = true;  // may be repeated by watch
  handler_fn run;
  bool raw = false;  // the words after the name are positional as they are (watch)
};

/// Every command, in help order.
const std::vector<command>& all_commands();

/// Runs one command line; "help" and unknown commands are answered here.
outcome run_line(session& s, const std::vector<std::string>& words);

/// Writes an outcome the way the session prints: the JSON document or the text on stdout,
/// the error on stderr. Returns its exit code.
int print_outcome(const session& s, const outcome& o);

// -- helpers for the command files --
outcome failed(const reply& r);
outcome usage_error(const std::string& why);
outcome answer(json doc, std::string text);
/// Asks for confirmation of `what`: the REPL's prompt, or --yes; false says why in `o`.
bool confirmed(session& s, const parsed_args& a, const std::string& what, outcome& o);

// The command groups, one file each.
void add_entity_commands(std::vector<command>& out);  // status types ls show history outbox
void add_view_commands(std::vector<command>& out);    // stuck timers trace top metrics
void add_saga_commands(std::vector<command>& out);    // sagas saga
void add_saga_action_commands(std::vector<command>& out);  // saga retry|compensate|skip
void add_ops_commands(std::vector<command>& out);     // dl *, send, passivate
void add_watch_command(std::vector<command>& out);    // watch (commands_watch.cpp)
void add_cluster_commands(std::vector<command>& out);  // nodes, shards

}  // namespace sagaforge::console
