// Validation of every option a sagaforge process holds outside "sagaforge." (CAF's own
// scheduler, logger and middleman groups, and a program's groups such as the node's "node.").
// CAF 0.17 accepts unknown keys, misspelt sections and keys outside any section silently, and
// drops a value of the wrong type without a word (the node then runs on a default): this
// check refuses all of them, so config/node.conf's promise ("a mistyped or unknown option
// stops the node") holds for every line of the file, not only for sagaforge.* ones.
#pragma once

#include "caf/config_option_set.hpp"
#include "caf/error.hpp"
#include "caf/settings.hpp"

namespace sagaforge {

/// Checks `content` (a parsed config: file, then command line) against `declared`:
///  - every key is a declared option (a "[section]" name, a key outside any section and a
///    misspelt key all fail, naming the key),
///  - every value has the declared type,
///  - `config-file`, when given, is a regular file,
///  - `scheduler.max-threads` is 1 ... 256 and `scheduler.policy` is 'sharing' or 'stealing'
///    (CAF starts a node that does nothing with 0 threads and only warns on a bad policy).
/// The "sagaforge" group is skipped: load_runtime_settings checks it with its own table.
caf::error validate_process_options(const caf::settings& content,
                                    const caf::config_option_set& declared);

} // namespace sagaforge
