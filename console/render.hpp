// Text output of the console: tables that fit the terminal width (the widest columns are
// cut with "~" until the table fits), times and ages for people, and colour only when
// stdout is a terminal and NO_COLOR is unset (https://no-color.org). Pure formatting; the
// width and colour choice are decided once per session (render_style).
#pragma once

#include <cstdint>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

namespace sagaforge::console {

struct render_style {
  size_t width = 0;    // 0: unlimited (not a terminal and no COLUMNS)
  bool color = false;
  /// From the environment: stdout a tty, COLUMNS, NO_COLOR; `no_color` forces it off.
  static render_style detect(bool no_color);
};

class table {
public:
  explicit table(std::vector<std::string> header) : header_(std::move(header)) {}
  void row(std::vector<std::string> cells) { rows_.push_back(std::move(cells)); }
  size_t size() const { return rows_.size(); }
  std::string str(const render_style& st) const;

private:
  std::vector<std::string> header_;
  std::vector<std::vector<std::string>> rows_;
};

/// "2026-12-02 07:30:12.345" (UTC) for ms since the epoch; "-" for 0.
std::string at_text(int64_t ms);
/// "07:30:12.345" (UTC): the time of day, where the day is plain (one transaction).
std::string time_text(int64_t ms);
/// "850ms", "12.3s", "4m05s", "2h10m", "3d4h"; "-" for a negative value.
std::string age_text(int64_t ms);
/// A JSON value as one line of text (strings without quotes).
std::string cell(const nlohmann::json& v);
/// Bold/red/green/yellow text when the style has colour.
std::string bold(const render_style& st, const std::string& s);
std::string red(const render_style& st, const std::string& s);
std::string green(const render_style& st, const std::string& s);
std::string yellow(const render_style& st, const std::string& s);
/// "key: value" lines, keys padded to the widest.
std::string fields(const std::vector<std::pair<std::string, std::string>>& kv);

}  // namespace sagaforge::console
