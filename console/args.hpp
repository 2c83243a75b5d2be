// A console command line: split like a shell does (quotes, backslashes), then the command's
// own flags checked against what it accepts (`--name VALUE`, `--name=VALUE`, `-n N`, bare
// switches), the rest positional. Durations (`30s`, `5m`, `1h`, `250ms`, plain ms) and counts
// are validated here so every command refuses bad input the same way. Pure functions.
#pragma once

#include <cstdint>
#include <map>
#include <set>
#include <string>
#include <vector>

namespace sagaforge::console {

/// Splits `line` into words; false with `why` on an unterminated quote.
bool split_words(const std::string& line, std::vector<std::string>& out, std::string& why);

struct flag_spec {
  std::set<std::string> with_value;  // e.g. "--after", "-n"
  std::set<std::string> switches;    // e.g. "--stored"
};

struct parsed_args {
  std::vector<std::string> positional;
  std::map<std::string, std::string> values;  // flag -> value ("" for switches)
  bool has(const std::string& f) const { return values.count(f) != 0; }
  std::string get(const std::string& f, const std::string& fallback = {}) const {
    auto i = values.find(f);
    return i == values.end() ? fallback : i->second;
  }
};

/// Parses `words` (without the command itself); false with `why` on an unknown flag or a
/// flag without its value. "--" ends the flags.
bool parse_args(const std::vector<std::string>& words, const flag_spec& spec, parsed_args& out,
                std::string& why);

/// "30s", "5m", "2h", "1d", "250ms" or a plain number of ms; false when not one (or > 1 year).
bool parse_duration(const std::string& text, int64_t& ms);

/// A decimal integer within [lo, hi].
bool parse_count(const std::string& text, int64_t lo, int64_t hi, int64_t& out);

/// A ref "type/id" in shape ([a-z][a-z0-9_]* for the type, an id without / or blanks).
/// The node checks again; this gives a person the message before any request.
bool valid_ref(const std::string& ref);

}  // namespace sagaforge::console
