// What one fuzz target is: a name, its seed inputs made by the real encoders (what
// --write-corpus stores under tests/fuzz/corpus/<name>/), tokens the mutator may insert, and
// `run`, which feeds one input to the same functions the node calls on untrusted bytes.
// `run` catches exactly what the node catches around that call (and counts it in `caught`);
// anything else escaping it, a broken round trip (a `finding`), a signal or a sanitizer
// report is a finding of the driver (fuzz_main.cpp).
#pragma once

#include <cstdint>
#include <functional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

namespace sagaforge::fuzz {

/// Thrown by a target for a property that must hold on every input (e.g. decode, encode,
/// decode gives the same value). Never caught by a target.
struct finding : std::logic_error {
  using std::logic_error::logic_error;
};

struct target {
  std::string name;
  std::function<std::vector<std::string>()> seeds;
  std::vector<std::string> dictionary;  // tokens inserted by the mutator (text formats)
  size_t max_len = 4096;                // mutated inputs are cut to this size
  std::function<void(std::string_view, uint64_t& caught, uint64_t& skipped)> run;
  uint64_t caught = 0;   // exceptions the node's own handler would catch
  uint64_t skipped = 0;  // inputs kept from a known, reported finding (the target says which)
};

// One per file (target_<name>.cpp).
target log_record_target();
target snapshot_target();
target dead_letter_target();
target store_meta_target();
target frame_target();
target config_target();
target http_body_target();
target http_query_target();

inline std::vector<target> all_targets() {
  std::vector<target> out;
  out.push_back(log_record_target());
  out.push_back(snapshot_target());
  out.push_back(dead_letter_target());
  out.push_back(store_meta_target());
  out.push_back(frame_target());
  out.push_back(config_target());
  out.push_back(http_body_target());
  out.push_back(http_query_target());
  return out;
}

} // namespace sagaforge::fuzz
