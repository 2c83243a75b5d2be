// Error codes of the runtime (category "runtime"). A code exists only where a caller
// branches on it; the context string says what was wrong and where.
#pragma once

#include <cstdint>
#include <string>

#include "caf/error.hpp"
#include "caf/make_message.hpp"
#include "caf/message.hpp"

namespace sagaforge {

enum class runtime_errc : uint8_t {
  invalid_ref = 1,    // an entity ref failed validation
  invalid_envelope,   // bytes from the network / a client are not a valid envelope
  corrupt_record,     // a stored record failed to parse: never reset state silently
  store_failed,       // LMDB (or the store double) reported an error
  unknown_type,       // no entity type registered under that name
  rejected,           // decide refused the command (the reason is the context)
  timeout,            // a client call got no answer in time
  overloaded,         // a bound was hit; retry later
  dead_lettered,      // the message ended in the dead-letter store
  invalid_config,     // a configuration value is out of range or mistyped
  not_found,
  too_large,          // a size limit was exceeded
  store_damaged,      // the data folder's store is damaged or lost: restore from backup
  no_space,           // the store's file system is full: free space (the writer waits)
};

std::string to_string(runtime_errc x);

} // namespace sagaforge

CAF_ERROR_CODE_ENUM(sagaforge::runtime_errc, "runtime")

namespace sagaforge {

/// Makes an error with a human-readable context.
inline caf::error make_runtime_error(runtime_errc code, std::string what) {
  return caf::make_error(code, std::move(what));
}

/// True when `err` is the runtime's error `code`.
inline bool is_runtime_error(const caf::error& err, runtime_errc code) {
  return err && err.category() == caf::atom("runtime")
         && err.code() == static_cast<uint8_t>(code);
}

/// Renders an error as "runtime.corrupt_record: <context>" (or CAF's form for others).
std::string describe(const caf::error& err);

} // namespace sagaforge
