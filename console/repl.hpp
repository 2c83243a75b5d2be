// The interactive console (a person at a terminal): libedit line editing, a history file,
// tab completion of commands, dead-letter subcommands, entity types, refs from the last
// listings and dead-letter ids, and y/N confirmations. Ctrl-D or `quit` ends it.
// Runs on the main thread only (libedit's state is global).
#pragma once

#include <string>

#include "console/commands.hpp"

namespace sagaforge::console {

/// Runs the prompt until Ctrl-D or quit; returns the exit code (0, or 3/4 when the node
/// cannot be reached or refuses the token at the start).
int run_repl(session& s, const std::string& history_file);

/// The completion candidates for the word at `word_index` of `words_before` (the words left
/// of the cursor) starting with `prefix`. Pure, for tests and the libedit hook.
std::vector<std::string> complete(const session& s, const std::vector<std::string>& words_before,
                                  const std::string& prefix);

}  // namespace sagaforge::console
