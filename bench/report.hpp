// report: the figures of one benchmark run, in order. Printed either for people (one
// figure a line, stdout) or as ONE flat JSON object (stdout) whose keys carry their units.
// Progress and log lines never go to stdout (see progress()).
#pragma once

#include <cstdarg>
#include <string>
#include <variant>
#include <vector>

namespace sagaforge::bench {

class report {
public:
  /// `key` is the JSON key (unit last, e.g. "p99_step_us"); `label` the human line.
  void add(std::string key, double value, std::string label, int decimals = 0);
  void add(std::string key, std::string value, std::string label);
  void section(std::string title);

  /// Prints to stdout: JSON when `json`, else aligned lines.
  void print(bool json) const;

private:
  struct entry {
    std::string key;
    std::variant<double, std::string> value;
    std::string label;
    int decimals = 0;
    bool is_section = false;
  };
  std::vector<entry> entries_;
};

/// A progress line on stderr ("[bench] ...").
void progress(const char* fmt, ...) __attribute__((format(printf, 1, 2)));

} // namespace sagaforge::bench
